"""Health endpoints for a load balancer or orchestrator: liveness (the process answers) and
readiness (the database and the job queue answer too)."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    # No database here: a database outage must not make an orchestrator restart app servers.
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, object] = {"database": "unavailable", "queue": "unavailable"}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            checks["database"] = "ok"
            # The queue lives in the same database; this also proves its tables are migrated.
            cursor.execute(
                "SELECT count(*) FILTER (WHERE status = 'todo'),"
                " count(*) FILTER (WHERE status = 'failed') FROM procrastinate_jobs"
            )
            waiting, failed = cursor.fetchone()
            # Workers with a heartbeat in the last 30 s: 0 means mail waits (not a reason to
            # take this app server out of the load balancer, so only reported).
            cursor.execute(
                "SELECT count(*) FROM procrastinate_workers"
                " WHERE last_heartbeat > now() - interval '30 seconds'"
            )
            (workers,) = cursor.fetchone()
            checks["queue"] = "ok"
            checks["jobs"] = {"waiting": waiting, "failed": failed, "workers": workers}
    except DatabaseError as exc:
        logger.warning("Readiness check failed: %s", exc)
    healthy = checks["database"] == checks["queue"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
