"""Vote casting through the real HTTP stack (gunicorn, several workers, many clients).

Baseline: a no-op JSON endpoint of the same server, same clients, same run. Afterwards every
acknowledged vote must be in the database exactly once, and nothing else.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bench.common import bench_database_url, gunicorn, setup_django


def _prepare(users: int, options: int) -> tuple[int, list[int], list[tuple[int, str, str]]]:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from proposals.models import Project, Proposal

    now = timezone.now()
    project = Project.objects.create(
        title="Bench",
        slug="bench",
        summary="Benchmark",
        is_published=True,
        perimeter=MultiPolygon(Polygon.from_bbox((7.74, 49.43, 7.79, 49.45)), srid=4326),
        voting_start=now - timedelta(days=1),
        voting_end=now + timedelta(days=1),
    )
    proposal_ids = [
        Proposal.objects.create(
            project=project,
            title=f"Option {i}",
            location=Point(7.75 + i * 0.0005, 49.44, srid=4326),
        ).pk
        for i in range(options)
    ]
    clients = []
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"bench-{i}", email=f"bench-{i}@example.org", password=unusable)
            for i in range(users)
        ]
    )
    bench_users = list(User.objects.filter(username__startswith="bench-"))
    # Only accounts with a confirmed e-mail address vote (proposals/rules.py).
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in bench_users]
    )
    for user in bench_users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        clients.append((user.pk, session.session_key or "", _get_new_csrf_string()))
    return project.pk, proposal_ids, clients


def _request(host: str, port: int, method: str, path: str, body: bytes, headers: dict) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _hammer(url: str, jobs: list, concurrency: int) -> tuple[float, list[int]]:
    host, port = url.removeprefix("http://").split(":")

    def run(job: tuple) -> int:
        return _request(host, int(port), *job)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        statuses = list(pool.map(run, jobs))
    return time.perf_counter() - start, statuses


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.votes")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--options", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    args, _ = parser.parse_known_args()

    database_url = bench_database_url()
    setup_django(database_url)
    from proposals.models import Vote

    project_id, proposal_ids, clients = _prepare(args.users, args.options)
    rng = random.Random(42)
    pairs = [(c, p) for c in clients for p in proposal_ids]
    rng.shuffle(pairs)
    # One request in ten repeats an earlier pair: those must be refused, never stored twice.
    chosen = pairs[: args.requests - args.requests // 10]
    chosen += rng.sample(chosen, args.requests - len(chosen))
    rng.shuffle(chosen)

    def vote_job(client: tuple[int, str, str], proposal: int) -> tuple:
        _uid, session, csrf = client
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Referer": "http://127.0.0.1/",
        }
        return ("POST", "/api/v1/votes/", json.dumps({"proposal": proposal}).encode(), headers)

    vote_jobs = [vote_job(c, p) for c, p in chosen]
    noop_jobs: list[tuple] = [("GET", "/api/health/", b"", {})] * args.requests

    with gunicorn(database_url, workers=args.workers) as url:
        _hammer(url, noop_jobs[:200], args.concurrency)  # warm-up: imports, connections
        noop_s, noop_status = _hammer(url, noop_jobs, args.concurrency)
        vote_s, vote_status = _hammer(url, vote_jobs, args.concurrency)

    acknowledged = {
        (c[0], p) for (c, p), status in zip(chosen, vote_status, strict=True) if status == 201
    }
    stored = list(Vote.objects.filter(project_id=project_id).values_list("user_id", "proposal_id"))
    unexpected = {s for s in vote_status if s not in (201, 400)}
    noop_rps = len(noop_jobs) / noop_s
    vote_rps = len(vote_jobs) / vote_s
    print(
        f"votes: {vote_rps:.0f} votes/s vs no-op JSON {noop_rps:.0f} req/s "
        f"-> ratio {vote_rps / noop_rps:.2f} "
        f"({args.requests} requests, {args.concurrency} clients, {args.workers} gunicorn workers)"
    )
    print(
        f"votes: {len(acknowledged)} acknowledged, {len(stored)} stored, "
        f"{vote_status.count(400)} refused repeats, unexpected statuses: {sorted(unexpected)}"
    )
    ok = (
        len(stored) == len(set(stored)) == len(acknowledged)
        and set(stored) == acknowledged
        and not unexpected
        and all(s == 200 for s in noop_status)
    )
    print(
        "votes: integrity "
        + ("OK: every acknowledged vote stored exactly once" if ok else "FAILED")
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
