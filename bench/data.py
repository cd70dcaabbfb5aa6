"""What the export, OGC and tile benchmarks share: a filled project, timing, plain HTTP GETs."""

from __future__ import annotations

import http.client
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

# Kaiserslautern's core city area (EPSG:4326): the synthetic pins fall inside it.
CITY_BOX = (7.70, 49.41, 7.82, 49.47)
# The city centre around Stiftsplatz: the busy part of the map.
CENTRE = (7.7689, 49.4447)


def fill_project(slug: str, *, proposals: int, votes: int = 0, seed: int = 6) -> tuple[Any, float]:
    """A published, closed project (results public, so vote totals are computed and shown)
    with `proposals` synthetic pins and `votes` votes; returns it and the seconds it took."""
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.management import call_command
    from django.utils import timezone

    from proposals.models import Category, Project

    now = timezone.now()
    project = Project.objects.create(
        title=f"Bench {slug}",
        slug=slug,
        summary="Benchmark",
        is_published=True,
        perimeter=MultiPolygon(Polygon.from_bbox(CITY_BOX), srid=4326),
        ideas_start=now - timedelta(days=30),
        ideas_end=now - timedelta(days=20),
        voting_start=now - timedelta(days=10),
        voting_end=now - timedelta(days=1),
    )
    for i, (name, color) in enumerate(
        [("Kultur", "#7a3e9d"), ("Sport", "#2e7d32"), ("Verkehr", "#1565c0")]
    ):
        Category.objects.create(project=project, name=name, slug=f"{slug}-c{i}", color=color)
    from django.db import connection

    started = time.perf_counter()
    call_command(
        "generate_load",
        project=slug,
        proposals=proposals,
        votes=votes,
        seed=seed,
        stdout=_Null(),
    )
    seconds = time.perf_counter() - started
    # Settled tables, as a database in use has them: autovacuum would otherwise start on the
    # fresh rows in the middle of a measurement, and the visibility map helps index scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE proposals_proposal")
        cursor.execute("VACUUM ANALYZE proposals_vote")
        # The projects' statistics too: without them the planner guesses a project's share of
        # the proposals (1/30 here) and sorts a deep page instead of reading it from an index.
        cursor.execute("ANALYZE proposals_project")
    return project, seconds


def interleaved_times(
    runs: dict[str, Callable[[], object]], repeats: int, warmup: int = 2
) -> dict[str, list[float]]:
    """Wall times of each run, measured in turns (a, b, c, a, b, c, …), after the same warm-up.

    On a small, noisy machine a slow spell then hits every contender alike, not one of them;
    every side gets the same warm-up and the same number of repetitions.
    """
    if repeats < 5:
        raise SystemExit("a comparison needs at least 5 pairs (--repeats >= 5)")
    for _ in range(warmup):
        for run in runs.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return times


def median_ratio(times: dict[str, list[float]], name: str, baseline: str) -> float:
    """The median of the per-turn ratios name/baseline: each pair ran back to back."""
    return statistics.median(
        ours / base for ours, base in zip(times[name], times[baseline], strict=True)
    )


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def session_of(username: str, group: str | None = None) -> str:
    """A signed-in session (its key) for a new account, in `group` if given."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.create_user(username, f"{username}@example.org")
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key or ""


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, int]:
    """GET `url` on a new connection (gunicorn's sync workers close each); status and bytes.

    The body is read in 64 KiB pieces and dropped, as a client saving a download would.
    """
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        size = 0
        while piece := response.read(65536):
            size += len(piece)
        return response.status, size
    finally:
        conn.close()


def session_options() -> str:
    """The `options` Django's connections pass to PostgreSQL (e.g. `-c jit=off`)."""
    from django.conf import settings

    return str(settings.DATABASES["default"].get("OPTIONS", {}).get("options", ""))


def raw_conninfo(database_url: str) -> str:
    """A psycopg connection string for the same database, with the same session options as
    Django's: a baseline must not differ from us in the server's settings."""
    import dj_database_url
    from psycopg.conninfo import make_conninfo

    cfg = dj_database_url.parse(database_url)
    return make_conninfo(
        host=str(cfg["HOST"]),
        port=str(cfg["PORT"]),
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        options=session_options() or None,
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class _Null:
    def write(self, *_args: object, **_kwargs: object) -> None:
        pass

    def flush(self) -> None:
        pass
