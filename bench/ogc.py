"""An OGC API - Features items page (limit 1000, with a bbox) vs the same page as raw SQL.

Baseline: the very SQL statements the view runs for the page (captured from Django, then
executed with psycopg on its own connection with the app's session options, every row
fetched): the projects for the results rule, `numberMatched` (a count) and the page of
features built by PostGIS. Measured in-process (Django's test client: middleware, view,
rendering; no HTTP) and through the real HTTP stack (gunicorn, 1 worker, sequential requests
on new connections). Medians of `--repeats` runs, taken in turns (raw, in-process, HTTP,
raw, …) so that the machine's noise hits all alike.
"""

from __future__ import annotations

import argparse

import psycopg

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import CENTRE, fill_project, http_get, interleaved_medians, ms, raw_conninfo

DATABASE = "mitmachkarte_bench_ogc"
SLUG = "ogc"
TARGET = 1.5


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
        medians = interleaved_medians(
            {"raw": raw, "django": in_process, "http": lambda: http_get(url + path)},
            args.repeats,
        )
    raw_s, django_s, http_s = medians["raw"], medians["django"], medians["http"]

    print(
        f"ogc: items page limit={args.limit} bbox={bbox} on {args.proposals} proposals: "
        f"{page['numberReturned']} returned of {page['numberMatched']} matched, "
        f"{size / 1e3:.0f} kB; {len(statements)} SQL statements; median of {args.repeats}: "
        f"raw SQL (psycopg) {ms(raw_s)}, in-process (Django test client) {ms(django_s)}, "
        f"HTTP (gunicorn, 1 worker) {ms(http_s)}"
    )
    print(f"ogc: in-process/raw SQL -> ratio {django_s / raw_s:.2f}")
    print(f"ogc: HTTP/raw SQL -> ratio {http_s / raw_s:.2f}")
    verdicts = [
        f"{name} {'met' if value / raw_s <= TARGET else 'NOT met'}"
        for name, value in (("in-process", django_s), ("HTTP", http_s))
    ]
    print(f"ogc: target <= {TARGET}x of raw SQL: {', '.join(verdicts)}")


if __name__ == "__main__":
    main()
