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
"""

from __future__ import annotations

import argparse
import statistics

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import fill_project, http_get, interleaved_times, load_average, median_ratio

DATABASE = "mitmachkarte_bench_page"
SLUG = "small"
TARGET_PAGE_VS_NOOP = 0.2  # pages/s vs no-op requests/s (issue 15)


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
        gunicorn(database_url, workers=1, extra_env={"PAGE_CACHE_MB": "0"}) as anew_url,
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


if __name__ == "__main__":
    main()
