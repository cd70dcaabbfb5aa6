"""Read replicas: read-only requests read from a PostgreSQL streaming replica; writes, and a
person's reads for a while after their own write, go to the primary ("default").

Only web requests are routed (the middleware marks them); management commands, the queue's
worker and tests without the middleware read from the primary. A replica that does not answer
is skipped for REPLICA_RETRY_SECONDS, and the request reads from the next one or the primary.
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = "default"
# Set on a person's browser after a write: their next requests read their own write.
PIN_COOKIE = "mmk_primary"
# Tables that must never be read stale: sessions (a new login), the cache (rate-limit
# counters) and the job queue.
PRIMARY_ONLY_APPS = {"sessions", "django_cache", "procrastinate"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


@dataclass
class _RequestState:
    read_only: bool
    chosen: str | None = None
    wrote: bool = False


_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar(
    "mmk_replica_state", default=None
)


@dataclass
class _Health:
    # alias -> monotonic time until which it is skipped
    down_until: dict[str, float] = field(default_factory=dict)


_health = _Health()


def _usable(alias: str) -> bool:
    if _health.down_until.get(alias, 0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        if connection.connection is None:
            connection.ensure_connection()
        elif not connection.is_usable():
            connection.close()
            connection.ensure_connection()
        return True
    except DatabaseError as exc:
        logger.warning("Replica %s skipped: %s", alias, exc)
        connection.close()
        _health.down_until[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        return False


def _choose_replica() -> str:
    aliases = replica_aliases()
    random.shuffle(aliases)  # spreads the load; nothing secret depends on it
    for alias in aliases:
        if _usable(alias):
            return alias
    return PRIMARY


class ReplicaRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        state = _state.get()
        if (
            state is None
            or not state.read_only
            or state.wrote
            or model._meta.app_label in PRIMARY_ONLY_APPS
        ):
            return PRIMARY
        if state.chosen is None:
            state.chosen = _choose_replica()
        return state.chosen

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        state = _state.get()
        if state is not None and model._meta.app_label not in PRIMARY_ONLY_APPS:
            # The rest of this request, and this person's next requests, read the primary.
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # all databases hold the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


def _request_finished(**kwargs: Any) -> None:
    _state.set(None)


request_finished.connect(_request_finished, dispatch_uid="mmk-replica-state")


class ReplicaMiddleware:
    """Marks a request read-only (safe method, no recent write by this browser) and, after a
    write, sets the cookie that keeps this browser on the primary for REPLICA_PIN_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        read_only = request.method in SAFE_METHODS and PIN_COOKIE not in request.COOKIES
        state = _RequestState(read_only=read_only)
        # Kept until the response is closed (request_finished): a streamed response runs its
        # queries after this method has returned.
        _state.set(state)
        response = self.get_response(request)
        if request.method not in SAFE_METHODS or state.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
