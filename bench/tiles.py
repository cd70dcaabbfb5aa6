"""One vector tile at a busy zoom (z=15 over the city centre) vs the raw ST_AsMVT query.

Baseline: the tile's own SQL statement (captured from Django: ST_AsMVT over ST_AsMVTGeom of
the filtered proposals), executed with psycopg on its own connection. Ours: the tile endpoint
`/api/v1/tiles/proposals/{z}/{x}/{y}.mvt?project=…` in-process (Django's test client) and
through gunicorn (1 worker, sequential requests). Medians of `--repeats` runs, in turns;
each ratio is the median of the per-turn ratios.
"""

from __future__ import annotations

import argparse
import math
import statistics

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

DATABASE = "mitmachkarte_bench_tiles"
SLUG = "tiles"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    rad = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.tiles")
    parser.add_argument("--proposals", type=int, default=300_000)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--zoom", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=20)
    args, _ = parser.parse_known_args()

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    _project, seconds = fill_project(SLUG, proposals=args.proposals, votes=args.votes)
    print(
        f"tiles: generated {args.proposals} proposals, {args.votes} votes in {seconds:.1f} s "
        "(generate_load)"
    )
    z = args.zoom
    x, y = tile_of(*CENTRE, z)
    path = f"/api/v1/tiles/proposals/{z}/{x}/{y}.mvt?project={SLUG}"

    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of the bench settings
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"tiles: the tile answered {first.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    statements = len(captured.captured_queries)  # read now: the next request clears the log
    tile_sql = next(q["sql"] for q in captured.captured_queries if "ST_AsMVT(" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM proposals_proposal WHERE location && "
            "ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)",
            [z, x, y],
        )
        points = cursor.fetchone()[0]

    def in_process() -> None:
        client.get(path)

    with (
        psycopg.connect(raw_conninfo(database_url)) as raw_conn,
        gunicorn(database_url, workers=1) as url,
    ):

        def raw() -> None:
            with raw_conn.cursor() as cursor:
                cursor.execute(tile_sql)
                cursor.fetchall()
            raw_conn.rollback()

        status, size = http_get(url + path)
        if status != 200:
            raise SystemExit(f"tiles: over HTTP the tile answered {status}")
        times = interleaved_times(
            {"raw": raw, "django": in_process, "http": lambda: http_get(url + path)},
            args.repeats,
        )
    raw_s, django_s, http_s = (statistics.median(times[k]) for k in ("raw", "django", "http"))

    print(
        f"tiles: tile {z}/{x}/{y} (city centre) of {args.proposals} proposals: about {points} "
        f"points, {size / 1e3:.0f} kB; {statements} SQL statements per "
        f"request; median of {args.repeats}: raw ST_AsMVT (psycopg) {ms(raw_s)}, in-process "
        f"(Django test client) {ms(django_s)}, HTTP (gunicorn, 1 worker) {ms(http_s)}"
    )
    print(
        f"tiles: in-process/raw ST_AsMVT -> ratio {median_ratio(times, 'django', 'raw'):.2f} "
        f"(load average {load_average()})"
    )
    print(f"tiles: HTTP/raw ST_AsMVT -> ratio {median_ratio(times, 'http', 'raw'):.2f}")


if __name__ == "__main__":
    main()
