"""Results at city scale: the results API at a million proposals vs its raw aggregate, and the
closed project's page there.

- results: `/api/v1/projects/<slug>/results/` (the first page of the ranking, with the sums over
  all options) in-process (Django's test client) and through gunicorn (1 worker), against the
  same aggregate as one raw SQL query run by psycopg on its own connection with the app's
  session options: online votes and current paper counts grouped per option, joined to the
  options, the first page by total. Ours also computes ranks, ties and the sums over all
  options; the ratio says what that and the framework cost.
- closed project page at the same size: status and server time (in-process).

A small project's page against the bare no-op is bench/page.py.

Every comparison is taken in turns (A B A B …, the same warm-up and repetitions for every side)
and reported as the median of the per-turn ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import psycopg

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import (
    fill_project,
    http_get,
    interleaved_times,
    load_average,
    median_ratio,
    ms,
    raw_conninfo,
)

DATABASE = "mitmachkarte_bench_results"
SLUG = "results"
TARGET_RESULTS = 1.5  # results API / raw aggregate
TARGET_RESULTS_SECONDS = 2.0
TARGET_PAGE_SECONDS = 1.0  # the closed project's page at a million proposals

# The first page of the ranking as one plain aggregate: what any hand-written query would do.
RAW_AGGREGATE = """
SELECT p.id, p.title, COALESCE(o.n, 0), COALESCE(pa.n, 0),
       COALESCE(o.n, 0) + COALESCE(pa.n, 0) AS total
FROM proposals_proposal p
LEFT JOIN (SELECT proposal_id, SUM(weight) AS n FROM proposals_vote
           WHERE project_id = %(project)s GROUP BY proposal_id) o ON o.proposal_id = p.id
LEFT JOIN (SELECT c.proposal_id, SUM(c.votes) AS n
           FROM proposals_papertallycount c JOIN proposals_papertally t ON t.id = c.tally_id
           WHERE t.project_id = %(project)s
             AND NOT EXISTS (SELECT 1 FROM proposals_papertally s WHERE s.supersedes_id = t.id)
           GROUP BY c.proposal_id) pa ON pa.proposal_id = p.id
WHERE p.project_id = %(project)s AND p.visibility = 'published'
ORDER BY total DESC, p.title, p.id
LIMIT %(limit)s
"""


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.results")
    parser.add_argument("--proposals", type=int, default=1_000_000)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5, help="pairs of each comparison")
    args, _ = parser.parse_known_args()

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    from django.test import Client, override_settings

    project, seconds = fill_project(SLUG, proposals=args.proposals, votes=args.votes)
    print(
        f"results: generated {args.proposals} proposals, {args.votes} votes in {seconds:.1f} s "
        f"(generate_load); load average {load_average()}"
    )
    api_path = f"/api/v1/projects/{SLUG}/results/"
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of the bench settings

    first = client.get(api_path)
    if first.status_code != 200:
        raise SystemExit(f"results: the results API answered {first.status_code}")
    limit = len(first.json()["options"])

    # The closed project's page at this size, timed in-process (server time): after one
    # warm-up request, the median and the slowest of `--repeats`. Judged rendered anew (no kept
    # page, as a signed-in person gets it); a visitor's kept page is printed apart.
    def time_page() -> tuple[Any, list[float]]:
        page = client.get(project.get_absolute_url())
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            page = client.get(project.get_absolute_url())
            times.append(time.perf_counter() - started)
        return page, times

    with override_settings(PAGE_CACHE_BYTES=0):
        page, page_times = time_page()
    page_s = statistics.median(page_times)
    page_ok = page.status_code == 200 and page_s < TARGET_PAGE_SECONDS
    print(
        f"results: closed project page at {args.proposals} proposals, rendered anew: "
        f"{page.status_code}, {len(page.content) / 1e3:.0f} kB, server time median {ms(page_s)}, "
        f"slowest {ms(max(page_times))} (target 200 in < {TARGET_PAGE_SECONDS:.0f} s: "
        f"{'met' if page_ok else 'NOT met'})"
    )
    kept, kept_times = time_page()
    print(
        f"results: the same page kept for visitors (infra/pagecache.py): {kept.status_code}, "
        f"server time median {ms(statistics.median(kept_times))}"
    )

    with (
        psycopg.connect(raw_conninfo(database_url)) as raw_conn,
        gunicorn(database_url, workers=1) as url,
    ):

        def raw() -> None:
            with raw_conn.cursor() as cursor:
                cursor.execute(RAW_AGGREGATE, {"project": project.pk, "limit": limit})
                cursor.fetchall()
            raw_conn.rollback()

        def over_http() -> None:
            status, _size = http_get(url + api_path)
            if status != 200:
                raise SystemExit(f"results: over HTTP the results API answered {status}")

        times = interleaved_times(
            {"raw": raw, "django": lambda: client.get(api_path), "http": over_http},
            args.repeats,
            warmup=1,
        )

    raw_s, django_s, http_s = (statistics.median(times[k]) for k in ("raw", "django", "http"))
    print(
        f"results: results API (first {limit} options, sums over all) at {args.proposals} "
        f"proposals, median of {args.repeats} turns: raw aggregate (psycopg) {ms(raw_s)}, "
        f"in-process (Django test client) {ms(django_s)}, HTTP (gunicorn, 1 worker) {ms(http_s)}"
    )
    in_process_ratio = median_ratio(times, "django", "raw")
    http_ratio = median_ratio(times, "http", "raw")
    print(f"results: in-process/raw aggregate -> ratio {in_process_ratio:.2f}")
    print(f"results: HTTP/raw aggregate -> ratio {http_ratio:.2f}")
    met = http_ratio <= TARGET_RESULTS and max(times["http"]) < TARGET_RESULTS_SECONDS
    print(
        f"results: target <= {TARGET_RESULTS}x of the raw aggregate and 200 in "
        f"< {TARGET_RESULTS_SECONDS:.0f} s over HTTP: {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
