"""The project page as citizens get it, against the bare no-op endpoint.

A small project (4 proposals, closed, results shown: the page with the most parts), through
gunicorn (1 worker), sequential GETs on new connections, as a visitor who is not signed in:

- page: the server as deployed, where visitors share the page kept for the project's data
  version (infra/pagecache.py); every response still gets its own CSRF token and CSP nonce.
- page rendered anew: a second server with the kept pages turned off (PAGE_CACHE_MB=0), i.e.
  what the first visit after each write costs, and what a signed-in person's page costs
  (without their own parts).
- no-op: `/api/health/` on the first server (no database, no template).

The three are taken in turns (page, no-op, page rendered anew, …; the same warm-up and
repetitions for each) and each ratio is the median of the per-turn ratios.

What the kept pages cost the writes: a vote cast and withdrawn (the services, in-process) with
the data version's triggers (proposals/migrations/0007) against the same with those triggers
disabled, in turns.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import timedelta

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import fill_project, http_get, interleaved_times, load_average, median_ratio

DATABASE = "mitmachkarte_bench_page"
SLUG = "small"
TARGET_PAGE_VS_NOOP = 0.2  # pages/s vs no-op requests/s (issue 15)
VOTE_TRIGGERS = [f"proposals_vote_touch_{event}" for event in ("insert", "update", "delete")]


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.page")
    parser.add_argument("--repeats", type=int, default=7, help="turns of each side (>= 5)")
    parser.add_argument("--page-requests", type=int, default=40, help="requests per turn")
    args, _ = parser.parse_known_args()

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    project, _seconds = fill_project(SLUG, proposals=4, votes=12)
    path = project.get_absolute_url()
    n = args.page_requests
    print(f"page: load average before {load_average()}")

    with (
        gunicorn(database_url, workers=1) as kept_url,
        gunicorn(database_url, workers=1, env={"PAGE_CACHE_MB": "0"}) as anew_url,
    ):
        sizes: dict[str, int] = {}

        def requests(url: str, name: str) -> None:
            for _ in range(n):
                status, size = http_get(url)
                if status != 200:
                    raise SystemExit(f"page: {url} answered {status}")
                sizes[name] = size

        times = interleaved_times(
            {
                "page": lambda: requests(kept_url + path, "page"),
                "noop": lambda: requests(kept_url + "/api/health/", "noop"),
                "anew": lambda: requests(anew_url + path, "anew"),
            },
            args.repeats,
            warmup=1,
        )
    if abs(sizes["page"] - sizes["anew"]) > 200:  # only the token and nonce may differ
        raise SystemExit(f"page: the kept page ({sizes['page']} B) is not the rendered one")

    load = load_average()
    noop_rate = n / statistics.median(times["noop"])
    for name, label in (("page", "page"), ("anew", "page rendered anew (no kept page)")):
        rate = n / statistics.median(times[name])
        ratio = 1 / median_ratio(times, name, "noop")  # a rate is the inverse of a time
        verdict = ""
        if name == "page":
            met = "met" if ratio >= TARGET_PAGE_VS_NOOP else "NOT met"
            verdict = f" (target >= {TARGET_PAGE_VS_NOOP}: {met})"
        print(
            f"page: small project {label} ({sizes[name] / 1e3:.0f} kB HTML, not signed in) "
            f"{rate:.0f} pages/s vs bare no-op {noop_rate:.0f} req/s (gunicorn, 1 worker, {n} "
            f"sequential requests per turn, median of {args.repeats} turns) -> ratio "
            f"{ratio:.3f}{verdict}; load average {load}"
        )

    vote_cost(args.repeats)


def vote_cost(repeats: int, votes_per_turn: int = 50) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import User
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.db import connection
    from django.utils import timezone

    from bench.data import CITY_BOX
    from proposals.models import Project, Proposal
    from proposals.services import vote_cast, vote_withdraw

    now = timezone.now()
    project = Project.objects.create(
        title="Bench voting",
        slug="bench-voting",
        summary="Benchmark",
        is_published=True,
        perimeter=MultiPolygon(Polygon.from_bbox(CITY_BOX), srid=4326),
        voting_start=now - timedelta(days=1),
        voting_end=now + timedelta(days=1),
    )
    voter = User.objects.create_user("bench-voter", "bench-voter@example.org")
    EmailAddress.objects.create(user=voter, email=voter.email, verified=True, primary=True)
    centre = Polygon.from_bbox(CITY_BOX).centroid
    option = Proposal.objects.create(
        project=project,
        title="Option",
        location=Point(centre.x, centre.y, srid=4326),
        author=voter,
    )

    def votes() -> None:
        for _ in range(votes_per_turn):
            vote_cast(user=voter, proposal=option)
            vote_withdraw(user=voter, proposal=option)

    def triggers(enabled: bool) -> None:
        with connection.cursor() as cursor:
            for trigger in VOTE_TRIGGERS:
                action = "ENABLE" if enabled else "DISABLE"
                cursor.execute(f"ALTER TABLE proposals_vote {action} TRIGGER {trigger}")

    # Both sides switch the triggers the same number of times, so the DDL costs both alike.
    def with_triggers() -> None:
        triggers(True)
        votes()
        triggers(True)

    def without() -> None:
        triggers(False)
        try:
            votes()
        finally:
            triggers(True)

    times = interleaved_times({"with": with_triggers, "without": without}, repeats, warmup=1)
    ratio = median_ratio(times, "with", "without")
    per_vote = statistics.median(times["with"]) / (2 * votes_per_turn)
    print(
        f"page: a vote cast and withdrawn with the data version's triggers vs without them "
        f"(services in-process, {votes_per_turn} of each per turn, median of {repeats} turns, "
        f"{per_vote * 1e3:.2f} ms per write with them) -> time ratio {ratio:.3f}; "
        f"load average {load_average()}"
    )


if __name__ == "__main__":
    main()
