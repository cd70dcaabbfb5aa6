"""GeoJSON export of many proposals: our stream vs PostGIS alone (psql) vs drf-gis; its memory.

- ours, in-process: `geo.exports.geojson_chunks` consumed and written to /dev/null, which is
  what `manage.py export_data proposals -o FILE` does;
- ours, HTTP: the download view `/api/exports/proposals.geojson` through gunicorn (1 worker),
  as a GIS user signed in gets it, the body read to the end;
- PostGIS alone: one `SELECT json_build_object('type', 'FeatureCollection', 'features',
  json_agg(...))` over the same rows with the same properties, run by `psql` to /dev/null
  with the app's session options;
- drf-gis: a `GeoFeatureModelSerializer` with the same fields on the same queryset, `.data`,
  then `json.dumps`.
Memory: a fresh process per size exports 10k and 100k proposals; its peak RSS and the
tracemalloc peak of Python's own allocations are compared. The peak RSS is the kernel's VmHWM
of the process: `getrusage`'s ru_maxrss would not do, as Linux carries it over from the parent
through fork and exec, so every child would report the (larger) parent's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from bench.common import ROOT, bench_database_url, bench_env, gunicorn, setup_django
from bench.data import fill_project, http_get, median_seconds, session_of, session_options

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

    class ProposalFeatures(GeoFeatureModelSerializer):
        project = serializers.CharField(source="project.slug")
        category = serializers.CharField(source="category.name", default=None)
        is_option = serializers.BooleanField(source="at_site")
        site = serializers.CharField(source="site.slug", default=None)
        vote_count = serializers.IntegerField()
        comment_count = serializers.IntegerField()

        class Meta:
            model = Proposal
            geo_field = "location"
            fields = [
                "id", "title", "description", "project", "category", "status", "is_option",
                "site", "vote_count", "comment_count", "created_at",
            ]  # fmt: skip

    queryset, _spec = dataset_source("proposals", project_scope(slug))
    rows = queryset.select_related("project", "category", "site")
    return len(json.dumps(ProposalFeatures(rows, many=True).data))


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
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--drfgis-repeats", type=int, default=1)
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
    ours = median_seconds(lambda: _stream_to_devnull(LARGE), args.repeats)
    sql = _psql_sql(LARGE)
    psql = median_seconds(lambda: _psql(database_url, sql), args.repeats)

    session = session_of("bench-gis", roles.GIS_STAFF)
    path = f"/api/exports/proposals.geojson?project={LARGE}"
    headers = {"Cookie": f"sessionid={session}"}
    with gunicorn(database_url, workers=1) as url:
        status, http_size = http_get(url + path, headers)
        if status != 200:
            raise SystemExit(f"export: the download answered {status}")
        over_http = median_seconds(lambda: http_get(url + path, headers), args.repeats)

    started = time.perf_counter()
    drf_size = _drfgis(LARGE)
    drfgis = time.perf_counter() - started
    for _ in range(args.drfgis_repeats - 1):
        started = time.perf_counter()
        _drfgis(LARGE)
        drfgis = min(drfgis, time.perf_counter() - started)

    print(
        f"export: {n} proposals as GeoJSON ({size / 1e6:.1f} MB), median of {args.repeats}: "
        f"ours in-process {ours:.2f} s, ours over HTTP (gunicorn, 1 worker, "
        f"{http_size / 1e6:.1f} MB) {over_http:.2f} s, PostGIS alone (psql) {psql:.2f} s, "
        f"drf-gis {drfgis:.2f} s ({drf_size / 1e6:.1f} MB)"
    )
    print(f"export: ours/psql in-process -> ratio {ours / psql:.2f}")
    print(f"export: ours/psql over HTTP -> ratio {over_http / psql:.2f}")
    print(f"export: drfgis/ours in-process -> ratio {drfgis / ours:.2f}")
    print(f"export: drfgis/psql -> ratio {drfgis / psql:.2f} (for the issue's 37x)")

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
        f"export: targets: within {TARGET_PSQL}x of psql: {verdict(ours / psql <= TARGET_PSQL)} "
        f"in-process, {verdict(over_http / psql <= TARGET_PSQL)} over HTTP; "
        f">= {TARGET_DRFGIS:.0f}x faster than drf-gis: {verdict(drfgis / ours >= TARGET_DRFGIS)}; "
        f"memory growth < {TARGET_GROWTH_MB:.0f} MB: "
        f"{verdict(max(rss_growth, traced_growth) < TARGET_GROWTH_MB)}"
    )


if __name__ == "__main__":
    main()
