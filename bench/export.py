"""GeoJSON export of many proposals: our stream vs PostGIS alone (psql) vs drf-gis; its memory.

- ours, in-process: `geo.exports.geojson_chunks` consumed and written to /dev/null, which is
  what `manage.py export_data proposals -o FILE` does;
- ours, HTTP: the download view `/api/exports/proposals.geojson` through gunicorn (1 worker),
  as a GIS user signed in gets it, the body read to the end;
- PostGIS alone: one `SELECT json_build_object('type', 'FeatureCollection', 'features',
  json_agg(...))` over the same rows with the same properties, run by `psql` to /dev/null
  with the app's session options;
- drf-gis: a `GeoFeatureModelSerializer` made from the export's own column list (the same
  properties, read through the same queryset), `.data`, then `json.dumps`; compared with ours on
  the small export (at the large one it alone would take minutes per run).
Every comparison runs its sides in turns (psql, ours, HTTP, psql, …), each with one unmeasured
warm-up run and the same repetitions, and reports the median of the per-turn ratios.
Memory: a fresh process per size exports 10k and 100k proposals; its peak RSS and the
tracemalloc peak of Python's own allocations are compared. The peak RSS is the kernel's VmHWM
of the process: `getrusage`'s ru_maxrss would not do, as Linux carries it over from the parent
through fork and exec, so every child would report the (larger) parent's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tracemalloc
from typing import Any

from bench.common import ROOT, bench_database_url, bench_env, gunicorn, setup_django
from bench.data import (
    fill_project,
    http_get,
    interleaved_times,
    load_average,
    median_ratio,
    session_of,
    session_options,
)

DATABASE = "mitmachkarte_bench_export"
SMALL, LARGE = "export-small", "export-large"
# Targets of issue 6.
TARGET_PSQL = 1.2
TARGET_DRFGIS = 20.0
TARGET_GROWTH_MB = 50.0


def _stream_to_devnull(slug: str) -> int:
    from geo.exports import ExportOptions, geojson_chunks
    from proposals.exports import project_scope

    options = ExportOptions("proposals", project=project_scope(slug))
    written = 0
    with open(os.devnull, "wb") as sink:
        for chunk in geojson_chunks(options):
            written += sink.write(chunk.encode())
    return written


def _psql_sql(slug: str) -> str:
    """The same rows and properties as the export, as one FeatureCollection built by PostGIS."""
    from django.db import connection

    from geo.exports import dataset_source
    from proposals.exports import project_scope

    queryset, spec = dataset_source("proposals", project_scope(slug))
    fields = [spec.id_field, spec.geometry, *spec.properties.values()]
    inner, params = queryset.values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        # psycopg's client-side binding turns the parameters into literals for psql.
        inner = cursor.cursor.mogrify(inner, params)
    columns = [f"c{i}" for i in range(len(fields))]
    props = ", ".join(
        f"'{name}', {column}" for name, column in zip(spec.properties, columns[2:], strict=True)
    )
    return (
        "SELECT json_build_object('type', 'FeatureCollection', 'name', 'proposals', "
        "'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', c0, "
        "'geometry', ST_AsGeoJSON(c1, 7, 0)::json, "
        f"'properties', json_build_object({props}))), '[]'::json)) "
        f"FROM ({inner}) AS t({', '.join(columns)})"
    )


def _psql(database_url: str, sql: str) -> None:
    import dj_database_url

    cfg = dj_database_url.parse(database_url)
    # The app's session options (e.g. `-c jit=off`) for psql too: the same server settings.
    env = dict(os.environ, PGPASSWORD=cfg["PASSWORD"] or "", PGOPTIONS=session_options())
    args = [
        "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-o", os.devnull,
        "-h", str(cfg["HOST"]), "-p", str(cfg["PORT"]), "-U", cfg["USER"], "-d", cfg["NAME"],
        "-c", sql,
    ]  # fmt: skip
    subprocess.run(args, check=True, env=env)


def _drfgis(slug: str) -> int:
    from rest_framework import serializers
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    from geo.exports import dataset_source
    from proposals.exports import project_scope
    from proposals.models import Proposal

    queryset, spec = dataset_source("proposals", project_scope(slug))
    # The export's columns, each read along the same path (null where a relation is empty).
    columns = {
        name: serializers.ReadOnlyField(default=None)
        if path == name
        else serializers.ReadOnlyField(source=path.replace("__", "."), default=None)
        for name, path in spec.properties.items()
    }
    meta = type(
        "Meta", (), {"model": Proposal, "geo_field": spec.geometry, "fields": list(columns)}
    )
    features = type("ProposalFeatures", (GeoFeatureModelSerializer,), {**columns, "Meta": meta})
    rows = queryset.select_related("project", "category", "site")
    return len(json.dumps(features(rows, many=True).data, default=str))


def _peak_rss_kb() -> int:
    """This process's peak resident set size (kB), as the kernel counts it since exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _memory_child(slug: str) -> None:
    """In a fresh process: peak RSS growth of one export, then the tracemalloc peak of another."""
    import django

    django.setup()
    from django.db import connection

    from proposals.models import Project

    Project.objects.get(slug=slug)  # connected, models and the export code imported
    import geo.exports  # noqa: F401

    before = _peak_rss_kb()
    written = _stream_to_devnull(slug)
    after = _peak_rss_kb()
    tracemalloc.start()
    _stream_to_devnull(slug)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    connection.close()
    report = {"rss_kb": after, "growth_kb": after - before, "traced": peak, "bytes": written}
    print(json.dumps(report))


def _memory(database_url: str, slug: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.export", "--memory-child", slug],
        cwd=ROOT,
        env=bench_env(database_url),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.export")
    parser.add_argument("--proposals", type=int, default=100_000, help="rows of the large export")
    parser.add_argument("--small", type=int, default=10_000, help="rows of the small export")
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5, help="turns (pairs) per comparison")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    from accounts import roles

    _small, small_s = fill_project(SMALL, proposals=args.small, votes=args.small // 10)
    _large, large_s = fill_project(LARGE, proposals=args.proposals, votes=args.votes)
    n = args.proposals
    print(
        f"export: generated {args.small} + {n} proposals, {args.votes} votes "
        f"in {small_s + large_s:.1f} s (generate_load)"
    )

    size = _stream_to_devnull(LARGE)
    sql = _psql_sql(LARGE)
    session = session_of("bench-gis", roles.GIS_STAFF)
    path = f"/api/exports/proposals.geojson?project={LARGE}"
    headers = {"Cookie": f"sessionid={session}"}
    with gunicorn(database_url, workers=1) as url:
        status, http_size = http_get(url + path, headers)
        if status != 200:
            raise SystemExit(f"export: the download answered {status}")
        times = interleaved_times(
            {
                "psql": lambda: _psql(database_url, sql),
                "ours": lambda: _stream_to_devnull(LARGE),
                "http": lambda: http_get(url + path, headers),
            },
            args.repeats,
            warmup=1,
        )
    small_sql = _psql_sql(SMALL)
    small_times = interleaved_times(
        {
            "psql": lambda: _psql(database_url, small_sql),
            "ours": lambda: _stream_to_devnull(SMALL),
            "drfgis": lambda: _drfgis(SMALL),
        },
        args.repeats,
        warmup=1,
    )
    drf_size = _drfgis(SMALL)
    ours, psql, over_http = (statistics.median(times[k]) for k in ("ours", "psql", "http"))
    small_ours, drfgis = (statistics.median(small_times[k]) for k in ("ours", "drfgis"))
    ours_ratio = median_ratio(times, "ours", "psql")
    http_ratio = median_ratio(times, "http", "psql")
    drf_ratio = median_ratio(small_times, "drfgis", "ours")

    print(
        f"export: {n} proposals as GeoJSON ({size / 1e6:.1f} MB), median of {args.repeats} turns "
        f"(psql, ours, HTTP alternating): ours in-process {ours:.2f} s, ours over HTTP "
        f"(gunicorn, 1 worker, {http_size / 1e6:.1f} MB) {over_http:.2f} s, PostGIS alone "
        f"(psql) {psql:.2f} s; load average {load_average()}"
    )
    print(f"export: ours/psql in-process -> ratio {ours_ratio:.2f}")
    print(f"export: ours/psql over HTTP -> ratio {http_ratio:.2f}")
    print(
        f"export: {args.small} proposals, median of {args.repeats} turns (psql, ours, drf-gis "
        f"alternating, the same columns): ours {small_ours:.3f} s, drf-gis {drfgis:.2f} s "
        f"({drf_size / 1e6:.1f} MB)"
    )
    print(f"export: drfgis/ours in-process -> ratio {drf_ratio:.1f}")
    print(
        f"export: drfgis/psql -> ratio {median_ratio(small_times, 'drfgis', 'psql'):.1f} "
        "(for the issue's 37x)"
    )

    small_mem = _memory(database_url, SMALL)
    large_mem = _memory(database_url, LARGE)
    rss_growth = (large_mem["rss_kb"] - small_mem["rss_kb"]) / 1024
    traced_growth = (large_mem["traced"] - small_mem["traced"]) / 2**20
    print(
        f"export: memory, fresh process per size: peak RSS {small_mem['rss_kb'] / 1024:.1f} MB "
        f"at {args.small} vs {large_mem['rss_kb'] / 1024:.1f} MB at {n} "
        f"(growth during the export {small_mem['growth_kb'] / 1024:.1f} MB vs "
        f"{large_mem['growth_kb'] / 1024:.1f} MB); tracemalloc peak "
        f"{small_mem['traced'] / 2**20:.2f} MiB vs {large_mem['traced'] / 2**20:.2f} MiB"
    )
    print(
        f"export: memory growth {args.small} -> {n}: RSS {rss_growth:+.1f} MB, "
        f"Python allocations {traced_growth:+.2f} MiB"
    )

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"export: targets: within {TARGET_PSQL}x of psql: {verdict(ours_ratio <= TARGET_PSQL)} "
        f"in-process, {verdict(http_ratio <= TARGET_PSQL)} over HTTP; "
        f">= {TARGET_DRFGIS:.0f}x faster than drf-gis: {verdict(drf_ratio >= TARGET_DRFGIS)}; "
        f"memory growth < {TARGET_GROWTH_MB:.0f} MB: "
        f"{verdict(max(rss_growth, traced_growth) < TARGET_GROWTH_MB)}"
    )


if __name__ == "__main__":
    main()
