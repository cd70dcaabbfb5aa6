"""Vote casting through the real HTTP stack (gunicorn, several workers, many clients).

Baselines, same server, same clients, same run, in alternating turns (votes, signed-in no-op,
bare no-op, votes, …; every side gets one unmeasured warm-up block and the same number of
blocks of the same size), each reported as the median of the per-turn ratios:
- a signed-in no-op API request (`bench/urls.py`): session, authentication, CSRF, DRF's parsing
  and rendering — everything a vote passes through except its own work;
- the bare no-op `/api/health/` (no session, no database), as a second line.
Refused repeats (a vote already cast, sent again) are measured in turns of their own and
reported apart. Afterwards every acknowledged vote must be in the database exactly once, every
repeat refused, and nothing else stored.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import load_average, median_ratio


def _prepare(users: int, options: int) -> tuple[int, list[int], list[tuple[int, str, str]]]:
    from allauth.account.models import EmailAddress
    from django.conf import settings
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
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
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
    parser.add_argument("--block", type=int, default=250, help="requests per turn and side")
    parser.add_argument("--repeats", type=int, default=7, help="turns (pairs) per comparison")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    args, _ = parser.parse_known_args()
    if args.repeats < 5:
        raise SystemExit("votes: a comparison needs at least 5 pairs (--repeats >= 5)")

    database_url = bench_database_url()
    setup_django(database_url)
    from proposals.models import Vote

    project_id, proposal_ids, clients = _prepare(args.users, args.options)
    rng = random.Random(42)
    pairs = [(c, p) for c in clients for p in proposal_ids]
    rng.shuffle(pairs)
    block = args.block
    fresh_blocks = args.repeats + 1  # the first is the warm-up
    if len(pairs) < block * fresh_blocks:
        raise SystemExit("votes: too few users x options for the blocks asked")
    fresh = [pairs[i * block : (i + 1) * block] for i in range(fresh_blocks)]

    def headers(client: tuple[int, str, str]) -> dict[str, str]:
        _uid, session, csrf = client
        return {
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Referer": "http://127.0.0.1/",
        }

    def jobs(path: str, chosen: list[tuple]) -> list[tuple]:
        return [("POST", path, json.dumps({"proposal": p}).encode(), headers(c)) for c, p in chosen]

    bare: list[tuple] = [("GET", "/api/health/", b"", {})] * block
    statuses: dict[str, list[int]] = {"votes": [], "signed": [], "bare": [], "repeats": []}
    times: dict[str, list[float]] = {name: [] for name in statuses}
    acknowledged: set[tuple[int, int]] = set()

    def turn(name: str, block_jobs: list[tuple], url: str, *, measured: bool = True) -> list[int]:
        seconds, result = _hammer(url, block_jobs, args.concurrency)
        if measured:
            times[name].append(seconds)
        statuses[name].extend(result)
        return result

    with gunicorn(database_url, workers=args.workers, settings="bench.settings") as url:
        for i, chosen in enumerate(fresh):  # block 0 warms every side up, unmeasured
            measured = i > 0
            result = turn("votes", jobs("/api/v1/votes/", chosen), url, measured=measured)
            acknowledged |= {
                (c[0], p) for (c, p), st in zip(chosen, result, strict=True) if st == 201
            }
            turn("signed", jobs("/bench/noop/", chosen), url, measured=measured)
            turn("bare", bare, url, measured=measured)
        # Repeats of acknowledged votes, in turns with the signed-in no-op of their own.
        stored_pairs = sorted(acknowledged)
        by_client = {c[0]: c for c in clients}
        for _ in range(args.repeats):
            chosen = [(by_client[u], p) for u, p in rng.sample(stored_pairs, block // 4)]
            turn("repeats", jobs("/api/v1/votes/", chosen), url)
            seconds, _result = _hammer(url, jobs("/bench/noop/", chosen), args.concurrency)
            times.setdefault("signed_for_repeats", []).append(seconds)

    stored = list(Vote.objects.filter(project_id=project_id).values_list("user_id", "proposal_id"))
    unexpected = sorted(
        {st for st in statuses["votes"] if st not in (201, 400)}
        | {st for st in statuses["repeats"] if st != 400}
        | {st for st in statuses["signed"] + statuses["bare"] if st not in (200, 201)}
    )
    rates = {name: [block / t for t in times[name]] for name in ("votes", "signed", "bare")}
    vote_rps = statistics.median(rates["votes"])
    signed_rps = statistics.median(rates["signed"])
    bare_rps = statistics.median(rates["bare"])
    # Per turn, rate ratio = inverse time ratio; the median of the turns' ratios.
    vs_signed = statistics.median(
        s / v for v, s in zip(times["votes"], times["signed"], strict=True)
    )
    vs_bare = statistics.median(b / v for v, b in zip(times["votes"], times["bare"], strict=True))
    repeat_block = block // 4
    repeat_rps = statistics.median(repeat_block / t for t in times["repeats"])
    repeats_vs_signed = median_ratio(times, "signed_for_repeats", "repeats")
    setup = (
        f"{args.repeats} turns of {block} requests per side after one warm-up turn each, "
        f"{args.concurrency} clients, {args.workers} gunicorn workers; "
        f"load average {load_average()}"
    )
    print(
        f"votes: acknowledged votes {vote_rps:.0f}/s vs signed-in no-op API request "
        f"{signed_rps:.0f}/s -> ratio {vs_signed:.2f} (target >= 0.5) ({setup})"
    )
    print(
        f"votes: acknowledged votes {vote_rps:.0f}/s vs bare no-op {bare_rps:.0f}/s "
        f"-> ratio {vs_bare:.2f} (target >= 0.2)"
    )
    print(
        f"votes: refused repeats {repeat_rps:.0f}/s vs signed-in no-op API request "
        f"-> ratio {repeats_vs_signed:.2f} ({args.repeats} turns of {repeat_block})"
    )
    print(
        f"votes: {len(acknowledged)} acknowledged, {len(stored)} stored, "
        f"{statuses['votes'].count(400)} fresh votes refused, "
        f"{statuses['repeats'].count(400)} of {len(statuses['repeats'])} repeats refused, "
        f"unexpected statuses: {unexpected}"
    )
    ok = (
        len(stored) == len(set(stored)) == len(acknowledged)
        and set(stored) == acknowledged
        and not unexpected
    )
    print(
        "votes: integrity "
        + ("OK: every acknowledged vote stored exactly once" if ok else "FAILED")
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
