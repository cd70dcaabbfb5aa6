"""Authentication backends (settings.AUTHENTICATION_BACKENDS): Django's and allauth's, with the
signed-in user of every request loaded by one prepared SQL statement.

`ModelBackend.get_user` compiles `User.objects.get(pk=...)` on every signed-in request; this
reads the same row with a statement built once per process and makes the instance the way the
ORM does (`Model.from_db`). Everything that decides whether the session is still valid stays
Django's: `django.contrib.auth.get_user` checks the backend path against the settings and the
session's hash against the password hash (a password change signs out the other sessions),
and `user_can_authenticate` refuses inactive accounts, as in `ModelBackend.get_user`."""

from __future__ import annotations

from functools import cache
from typing import Any

from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, connections, router


@cache
def _user_sql() -> tuple[str, tuple[str, ...]]:
    meta = get_user_model()._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    pk = quote(str(meta.pk.column))  # type: ignore[union-attr]
    # Names from the model's meta, the id a parameter.
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {pk} = %s"  # noqa: S608
    return sql, tuple(field.attname for field in fields)


def load_user(user_id: Any) -> User | None:
    """The user with this primary key, or None: `User.objects.get(pk=user_id)` without the
    query compilation. A malformed id (the session's, not the client's, but still) is None."""
    user_model = get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)  # type: ignore[union-attr]
    except ValidationError:
        return None
    alias = router.db_for_read(user_model)
    sql, attnames = _user_sql()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user: User = user_model.from_db(alias, list(attnames), list(row))
    return user


def active_user(backend: backends.ModelBackend, user_id: Any) -> User | None:
    user = load_user(user_id)
    # As ModelBackend.get_user: an inactive account is nobody.
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        return active_user(self, user_id)


class AuthenticationBackend(auth_backends.AuthenticationBackend):
    def get_user(self, user_id: Any) -> User | None:
        return active_user(self, user_id)
