"""Rate limits on writes, counted in the database so that every app server process shares them.

Scopes and rates are the setting RATE_LIMITS (`{"votes": "60/m", …}`); a person is counted by
account, an anonymous client by address. Each hit is one atomic upsert of a counter row (no
read-then-write race between workers). Windows are fixed: a burst across a window's edge may get
up to twice the rate — the limit is a brake on floods, not a quota. Use `limit(scope)` on form
views, `throttle_scope` on API views. (allauth's limits on sign-up and login use CACHES.)

Infrastructure, not accounts: the domain apps' views use it, and it knows no app of ours.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from infra.models import RateCounter

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MESSAGE = _("Too many requests in a short time. Please wait a moment and try again.")
# A row whose window has ended counts for nothing (the next hit starts again at 1) but would stay
# forever, one per client ever seen. The process that counts deletes such rows now and then.
PRUNE_INTERVAL = 300  # seconds, per process
_next_prune = 0.0
_TABLE = RateCounter._meta.db_table
# A new window starts the count again; the row is locked for the moment of the update.
_HIT_SQL = f"""
    INSERT INTO {_TABLE} (key, window_index, count, expires_at) VALUES (%s, %s, 1, %s)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN {_TABLE}.window_index = EXCLUDED.window_index
                     THEN {_TABLE}.count + 1 ELSE 1 END,
        window_index = EXCLUDED.window_index,
        expires_at = EXCLUDED.expires_at
    RETURNING count
"""  # noqa: S608 -- the table name is ours, the values are parameters


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate | None:
    """`"60/m"`, `"10/5m"`, `"1000/h"`, `"60/min"`; empty (or a count of 0) means no limit."""
    if not text.strip():
        return None
    match = _RATE.match(text)
    if match is None:
        raise ImproperlyConfigured(f"A rate limit looks like 60/m or 10/5m, not {text!r}.")
    count, multiple, unit = match.groups()
    if int(count) == 0:
        return None
    return Rate(int(count), int(multiple or 1) * _SECONDS[unit])


def rate_for(scope: str) -> Rate | None:
    try:
        return parse_rate(settings.RATE_LIMITS[scope])
    except KeyError as exc:
        raise ImproperlyConfigured(f"RATE_LIMITS has no scope {scope!r}.") from exc


def client_key(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    # allauth's reading of the address honours ALLAUTH_TRUSTED_PROXY_COUNT behind a proxy.
    return f"ip:{get_adapter().get_client_ip(request)}"


@dataclass(frozen=True)
class Count:
    """One write counted against a scope's rate, as a statement (one atomic upsert).

    `hit` runs it by itself; a service can run it with its own statements, in its own
    transaction and round trip (`proposals.services.vote_cast`), and judge the count it returns.
    """

    sql: str
    params: list[Any]
    rate: Rate
    window: int
    now: float

    def retry_after(self, count: int) -> int | None:
        """None if `count` (what the statement returned) is within the limit, else the seconds
        until it is again."""
        if count <= self.rate.count:
            return None
        return max(1, int((self.window + 1) * self.rate.seconds - self.now))

    def alone(self) -> int | None:
        """Count now, in the caller's transaction (or its own): `retry_after` of the new count."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            (count,) = cursor.fetchone()
        return self.retry_after(count)


class Exceeded(Exception):
    """A write beyond its scope's rate, raised by a service that counted it itself; views answer
    429 (`RateLimited` in the API, `too_many_requests` on pages)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def counting(scope: str, key: str, *, now: float | None = None) -> Count | None:
    """The count of one write of `key` in `scope`, not yet made; None if the scope has no limit."""
    rate = rate_for(scope)
    if rate is None:
        return None
    now = time.time() if now is None else now
    _prune_now_and_then(now)
    window = int(now // rate.seconds)
    params: list[Any] = [f"{scope}:{key}"[:200], window, (window + 1) * rate.seconds]
    return Count(_HIT_SQL, params, rate, window, now)


def hit(scope: str, key: str, *, now: float | None = None) -> int | None:
    """Count one write; None if it is within the limit, else the seconds until it is again."""
    count = counting(scope, key, now=now)
    return None if count is None else count.alone()


def prune(*, now: float | None = None) -> int:
    """Delete the counters whose window has ended; returns how many went.

    Never changes an answer: a hit in a later window would have started that row at 1 anyway.
    """
    now = time.time() if now is None else now
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        # Rows another process is counting or pruning right now are skipped, not waited for:
        # a request never queues behind housekeeping, and two pruners cannot deadlock.
        cursor.execute(
            f"""
            DELETE FROM {table} WHERE key IN (
                SELECT key FROM {table} WHERE expires_at <= %s FOR UPDATE SKIP LOCKED
            )
            """,  # noqa: S608 -- the table name is ours, the value is a parameter
            [int(now)],
        )
        return cursor.rowcount


def _prune_now_and_then(now: float) -> None:
    global _next_prune
    if now >= _next_prune:
        _next_prune = now + PRUNE_INTERVAL
        prune(now=now)


def too_many_requests(request: HttpRequest, retry_after: int | None = None) -> HttpResponse:
    """The page for a refused form; allauth renders the same template (429.html) for its own."""
    response = render(request, "429.html", {"message": MESSAGE}, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def limit(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorator for form views: writes (not GET/HEAD) beyond the scope's rate get a 429 page."""

    rate_for(scope)  # a typo in the scope fails at import, not at the first write

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in SAFE_METHODS:
                retry_after = hit(scope, client_key(request))
                if retry_after is not None:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class RateLimited(exceptions.Throttled):
    default_detail = MESSAGE


class WriteThrottle(BaseThrottle):
    """DRF throttle for views with a `throttle_scope`: counts their writes against RATE_LIMITS.

    Reads are never counted. The same counters as `limit()`, so a vote through a page and one
    through the API draw on the same allowance.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope or request.method in SAFE_METHODS:
            return True
        retry_after = hit(scope, client_key(request))
        if retry_after is not None:
            raise RateLimited(wait=retry_after)
        return True
