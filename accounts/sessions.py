"""The session engine (settings.SESSION_ENGINE): Django's database sessions, loaded by one
prepared SQL statement instead of an ORM query compiled on every request.

Compiling `Session.objects.get(...)` cost about as much Python time as the rest of a signed-in
API request's framework work together (issue 15). The statement reads the same table with the
same expiry check, and the row goes through Django's own `decode()` (signature check, salt,
serializer): a tampered row is an empty, anonymous session as before. Everything else —
saving, rotation on login, deletion on logout — is Django's `db.SessionStore` unchanged, so a
logout takes effect on every worker at once (no per-process cache, no signed cookies)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection, connections, router
from django.utils import timezone


@cache
def _load_sql() -> str:
    meta = db.SessionStore.get_model_class()._meta
    quote = connection.ops.quote_name
    column = {field.name: quote(str(field.column)) for field in meta.concrete_fields}
    # Names from the model's meta; the key and the time are parameters.
    return (
        f"SELECT {column['session_data']} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {column['session_key']} = %s AND {column['expire_date']} > %s"
    )


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        alias = router.db_for_read(self.model)
        with connections[alias].cursor() as cursor:
            cursor.execute(_load_sql(), [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            # As Django's: an unknown or expired key is dropped, so a save makes a new one
            # (a key chosen by a client is never adopted).
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
