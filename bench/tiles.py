"""Vector tiles over the city centre vs their raw ST_AsMVT query: a busy tile at z=15 (with
this many proposals it carries clusters, a count per cell) and one at z=17 (the pins).

Baseline: the tile's own SQL statement (captured from Django: the count that chooses clusters
or pins, and ST_AsMVT over the filtered proposals), executed with psycopg on its own
connection. Ours: the tile endpoint `/api/v1/tiles/proposals/{z}/{x}/{y}.mvt?project=…`
in-process (Django's test client) and through gunicorn (1 worker, sequential requests). Each
tile is answered afresh every time: the tiles kept for visitors (infra/pagecache.py) are off
for these lines (PAGE_CACHE_MB=0); only the statement's compiled text is kept. Medians of
`--repeats` runs, in turns; each ratio is the median of the per-turn ratios.

Per tile, the floor: the health endpoint (no database, no view work), in the same turns, in-process
and over HTTP, against what a ratio of 1.2 leaves beside the statement (0.2 of its time).

A last line per tile: the same tile kept for visitors (the project's data unchanged), in-process,
vs the raw statement, in turns: what most visitors of a busy map get.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable
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

DATABASE = "mitmachkarte_bench_tiles"
SLUG = "tiles"
CLUSTERS = "clusters"  # the layer name of api/v1/tiles.py's clusters
FLOOR = "/api/health/"  # answers without the database: the least any request costs


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
    from django.test import Client

    _project, seconds = fill_project(SLUG, proposals=args.proposals, votes=args.votes)
    print(
        f"tiles: generated {args.proposals} proposals, {args.votes} votes in {seconds:.1f} s "
        "(generate_load)"
    )
    from django.conf import settings
    from django.test import override_settings

    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of the bench settings
    kept_bytes = settings.PAGE_CACHE_BYTES
    with gunicorn(database_url, workers=1, env={"PAGE_CACHE_MB": "0"}) as url:
        # The busy tile (clusters), then the first zoom that always has pins.
        for z in sorted({args.zoom, max(args.zoom, settings.MAP_TILE_CLUSTER_MAX_ZOOM + 1)}):
            with override_settings(PAGE_CACHE_BYTES=0):
                measure(client, url, database_url, z, args)
            with override_settings(PAGE_CACHE_BYTES=kept_bytes or 16 * 1024 * 1024):
                measure_kept(client, database_url, z, args)


def _raw_statement(raw_conn: psycopg.Connection, tile_sql: str) -> Callable[[], None]:
    """The baseline: the tile's statement on its own connection, every row fetched."""

    def raw() -> None:
        with raw_conn.cursor() as cursor:
            cursor.execute(tile_sql)
            cursor.fetchall()
        raw_conn.rollback()

    return raw


def measure(client: Any, url: str, database_url: str, z: int, args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    x, y = tile_of(*CENTRE, z)
    path = f"/api/v1/tiles/proposals/{z}/{x}/{y}.mvt?project={SLUG}"
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"tiles: the tile answered {first.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    statements = len(captured.captured_queries)  # read now: the next request clears the log
    tile_sql = next(q["sql"] for q in captured.captured_queries if "ST_AsMVT(" in q["sql"])
    # The MVT names its layer in the bytes: clusters or pins (proposals).
    kind = "clusters" if CLUSTERS.encode() in first.content else "pins"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM proposals_proposal WHERE location && "
            "ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)",
            [z, x, y],
        )
        points = cursor.fetchone()[0]

    def in_process() -> None:
        client.get(path)

    with psycopg.connect(raw_conninfo(database_url)) as raw_conn:
        raw = _raw_statement(raw_conn, tile_sql)
        status, size = http_get(url + path)
        if status != 200:
            raise SystemExit(f"tiles: over HTTP the tile answered {status}")
        times = interleaved_times(
            {
                "raw": raw,
                "django": in_process,
                "http": lambda: http_get(url + path),
                # The floor: the cheapest answer of ours, with no database and no view work.
                "floor": lambda: client.get(FLOOR),
                "floor_http": lambda: http_get(url + FLOOR),
            },
            args.repeats,
        )
    raw_s, django_s, http_s = (statistics.median(times[k]) for k in ("raw", "django", "http"))

    print(
        f"tiles: tile {z}/{x}/{y} (city centre) of {args.proposals} proposals: about {points} "
        f"points as {kind}, {size / 1e3:.1f} kB; {statements} SQL statements per "
        f"request; median of {args.repeats}: raw ST_AsMVT (psycopg) {ms(raw_s)}, in-process "
        f"(Django test client) {ms(django_s)}, HTTP (gunicorn, 1 worker) {ms(http_s)}"
    )
    print(
        f"tiles: z{z} {kind}: in-process/raw ST_AsMVT -> ratio "
        f"{median_ratio(times, 'django', 'raw'):.2f} (load average {load_average()})"
    )
    http_ratio = median_ratio(times, "http", "raw")
    print(f"tiles: z{z} {kind}: HTTP/raw ST_AsMVT -> ratio {http_ratio:.2f}")
    print_floor(times, z, kind)


def print_floor(times: dict[str, list[float]], z: int, kind: str) -> None:
    """What 1.2x of the raw statement leaves for everything else, vs the floor of any request.

    The allowance is 0.2 of the raw statement's time; the floor is the health endpoint's time,
    measured in the same turns. A floor above the allowance means no endpoint served through
    this stack, however little it did besides the statement, could stay within 1.2x.
    """
    allowance = 0.2 * statistics.median(times["raw"])
    floors = {side: statistics.median(times[side]) for side in ("floor", "floor_http")}
    print(
        f"tiles: z{z} {kind}: 1.2x leaves {ms(allowance)} beside the statement; the floor of "
        f"any request ({FLOOR}: no database, no view work) in-process {ms(floors['floor'])}, "
        f"HTTP {ms(floors['floor_http'])} -> floor/allowance "
        f"{floors['floor'] / allowance:.2f} in-process, {floors['floor_http'] / allowance:.2f} "
        "HTTP"
    )


def measure_kept(client: Any, database_url: str, z: int, args: argparse.Namespace) -> None:
    """The tile kept for visitors (unchanged data) vs the raw statement, in turns."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    x, y = tile_of(*CENTRE, z)
    path = f"/api/v1/tiles/proposals/{z}/{x}/{y}.mvt?project={SLUG}"
    with CaptureQueriesContext(connection) as captured:
        fresh = client.get(path)  # answered afresh and kept
    tile_sql = next(q["sql"] for q in captured.captured_queries if "ST_AsMVT(" in q["sql"])
    with CaptureQueriesContext(connection) as captured:
        kept = client.get(path)
    statements = len(captured.captured_queries)  # read now: the next request clears the log
    if kept.content != fresh.content or any("ST_AsMVT(" in q["sql"] for q in captured):
        raise SystemExit("tiles: the kept tile differs, or was built again")
    with psycopg.connect(raw_conninfo(database_url)) as raw_conn:
        raw = _raw_statement(raw_conn, tile_sql)
        times = interleaved_times({"raw": raw, "kept": lambda: client.get(path)}, args.repeats)
    print(
        f"tiles: z{z} kept for visitors (the project's data unchanged; "
        f"{statements} SQL statement: its data version): in-process "
        f"{ms(statistics.median(times['kept']))} vs raw ST_AsMVT "
        f"{ms(statistics.median(times['raw']))} -> ratio {median_ratio(times, 'kept', 'raw'):.2f}"
    )


if __name__ == "__main__":
    main()
