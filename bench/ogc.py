"""An OGC API - Features items page (limit 1000, with a bbox) vs the same page as raw SQL.

Baseline: the very SQL statements the view runs for the page (captured from Django, then
executed with psycopg on its own connection with the app's session options, every row
fetched): the projects for the results rule, `numberMatched` (a count) and the page of
features built by PostGIS. Measured in-process (Django's test client: middleware, view,
rendering; no HTTP) and through the real HTTP stack (gunicorn, 1 worker, sequential requests
on new connections). Medians of `--repeats` runs, taken in turns (raw, in-process, HTTP,
raw, …) so that the machine's noise hits all alike; each ratio is the median of the per-turn
ratios.

Deep pages: the OGC items page and the REST list at offset 100000 vs their first page (same
limit, no bbox), in-process, in turns.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from functools import partial
from typing import Any

import psycopg

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import (
    CENTRE,
    fill_project,
    http_get,
    interleaved_times,
    load_average,
    median_ratio,
    ms,
    raw_conninfo,
)

DATABASE = "mitmachkarte_bench_ogc"
SLUG = "ogc"
TARGET = 1.5
TARGET_DEEP = 2.0  # a page at offset 100000 vs the first page


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.ogc")
    parser.add_argument("--proposals", type=int, default=1_000_000)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument(
        "--bbox-size",
        type=float,
        default=0.01,
        help="width of the bbox around the city centre in degrees of longitude",
    )
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--deep-offset", type=int, default=100_000)
    parser.add_argument("--deep-limit", type=int, default=100)
    args, _ = parser.parse_known_args()

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    _project, seconds = fill_project(SLUG, proposals=args.proposals, votes=args.votes)
    print(
        f"ogc: generated {args.proposals} proposals, {args.votes} votes in {seconds:.1f} s "
        "(generate_load)"
    )
    lon, lat = CENTRE
    half_w, half_h = args.bbox_size / 2, args.bbox_size / 2 * 0.65
    bbox = f"{lon - half_w:.5f},{lat - half_h:.5f},{lon + half_w:.5f},{lat + half_h:.5f}"
    path = f"/ogc/collections/proposals/items?f=json&limit={args.limit}&bbox={bbox}"

    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of the bench settings
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"ogc: the items page answered {first.status_code}")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(path).json()
    statements = [query["sql"] for query in captured.captured_queries]

    def in_process() -> None:
        client.get(path)

    with (
        psycopg.connect(raw_conninfo(database_url)) as raw_conn,
        gunicorn(database_url, workers=1) as url,
    ):

        def raw() -> None:
            with raw_conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)  # already with Django's literals
                    cursor.fetchall()
            raw_conn.rollback()  # no transaction left open between runs, as Django's autocommit

        status, size = http_get(url + path)
        if status != 200:
            raise SystemExit(f"ogc: over HTTP the items page answered {status}")
        times = interleaved_times(
            {"raw": raw, "django": in_process, "http": lambda: http_get(url + path)},
            args.repeats,
        )
    raw_s, django_s, http_s = (statistics.median(times[k]) for k in ("raw", "django", "http"))
    django_ratio = median_ratio(times, "django", "raw")
    http_ratio = median_ratio(times, "http", "raw")

    print(
        f"ogc: items page limit={args.limit} bbox={bbox} on {args.proposals} proposals: "
        f"{page['numberReturned']} returned of {page['numberMatched']} matched, "
        f"{size / 1e3:.0f} kB; {len(statements)} SQL statements; median of {args.repeats}: "
        f"raw SQL (psycopg) {ms(raw_s)}, in-process (Django test client) {ms(django_s)}, "
        f"HTTP (gunicorn, 1 worker) {ms(http_s)}"
    )
    print(f"ogc: in-process/raw SQL -> ratio {django_ratio:.2f} (load average {load_average()})")
    print(f"ogc: HTTP/raw SQL -> ratio {http_ratio:.2f}")
    verdicts = [
        f"{name} {'met' if value <= TARGET else 'NOT met'}"
        for name, value in (("in-process", django_ratio), ("HTTP", http_ratio))
    ]
    print(f"ogc: target <= {TARGET}x of raw SQL: {', '.join(verdicts)}")
    _deep_pages(client, args.deep_offset, args.deep_limit, args.repeats)


def _deep_pages(client: Any, offset: int, limit: int, repeats: int) -> None:
    surfaces = {
        "OGC items": f"/ogc/collections/proposals/items?f=json&limit={limit}",
        "REST list": f"/api/v1/proposals/?project={SLUG}&limit={limit}",
    }
    for name, first in surfaces.items():
        deep = f"{first}&offset={offset}"
        for path in (first, deep):
            response = client.get(path)
            if response.status_code != 200 or not response.json()["features"]:
                raise SystemExit(f"ogc: {path} answered {response.status_code} or no features")
        runs: dict[str, Callable[[], object]] = {
            "first": partial(client.get, first),
            "deep": partial(client.get, deep),
        }
        times = interleaved_times(runs, repeats)
        ratio = median_ratio(times, "deep", "first")
        print(
            f"ogc: {name} page of {limit} at offset {offset} vs the first page, in-process, "
            f"median of {repeats} turns: {ms(statistics.median(times['deep']))} vs "
            f"{ms(statistics.median(times['first']))} -> ratio {ratio:.2f} "
            f"(target <= {TARGET_DEEP}: {'met' if ratio <= TARGET_DEEP else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
