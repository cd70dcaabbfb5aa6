"""A project map with 100k pins in headless Chromium: long tasks and JS heap, with clusters
(the vector tiles aggregate points at low zoom) against the same page without them.

One project collecting ideas, filled by `generate_load`, served by a real gunicorn twice: as
configured (clusters up to MAP_TILE_CLUSTER_MAX_ZOOM), and with MAP_TILE_CLUSTER_MAX_ZOOM=-1,
i.e. every tile with all its pins drawn as SVG, as before clusters. Each load opens the project
page in a fresh browser context (cold cache), waits until the map says it drew the tiles and
the network and main thread have been quiet for a second, then reads what PerformanceObserver
saw of long tasks (since navigation, and after the load event) and the DevTools protocol's
JS heap and DOM node counts. The two sides alternate (A B A B …, the same warm-up); the report
is the medians and the median of the per-pair ratios. About 1.5 minutes on an idle 2-core
machine, most of it the side without clusters. Targets (issue 15): < 1 s of long tasks,
< 60 MB of JS heap.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from bench.common import bench_database_url, gunicorn, setup_django
from bench.data import CITY_BOX, http_get, load_average

DATABASE = "mitmachkarte_bench_browser"
SLUG = "karte"
LONG_TASKS_TARGET = 1.0  # seconds
HEAP_TARGET = 60e6  # bytes

# Registered before any script of the page runs (through the DevTools protocol, so the
# page's CSP does not apply): every long task from the start of the navigation.
OBSERVE = """
window.__mmkLongTasks = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    window.__mmkLongTasks.push([entry.startTime, entry.duration]);
  }
}).observe({type: "longtask", buffered: true});
"""


def fill(proposals: int) -> tuple[str, float]:
    """A published project collecting ideas over the city with `proposals` pins."""
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.data import _Null
    from proposals.models import Category, Project

    now = timezone.now()
    project = Project.objects.create(
        title="Bench Karte",
        slug=SLUG,
        summary="Benchmark",
        is_published=True,
        perimeter=MultiPolygon(Polygon.from_bbox(CITY_BOX), srid=4326),
        ideas_start=now - timedelta(days=1),
        ideas_end=now + timedelta(days=10),
        voting_start=now + timedelta(days=11),
        voting_end=now + timedelta(days=20),
    )
    for i, (name, color) in enumerate(
        [("Kultur", "#7a3e9d"), ("Sport", "#2e7d32"), ("Verkehr", "#1565c0")]
    ):
        Category.objects.create(project=project, name=name, slug=f"{SLUG}-c{i}", color=color)
    started = time.perf_counter()
    call_command("generate_load", project=SLUG, proposals=proposals, seed=6, stdout=_Null())
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE proposals_proposal")
    return project.get_absolute_url(), seconds


def load(browser: Any, url: str) -> dict[str, float]:
    """One cold load of the map page; what the browser spent and holds once it is quiet."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    # The base map's tiles come from a third party in production: not part of the measurement.
    own = url.split("/", 3)[2]
    context.route(
        "**/*", lambda route: route.continue_() if own in route.request.url else route.abort()
    )
    context.add_init_script(OBSERVE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    try:
        started = time.perf_counter()
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_selector(".mmk-map[data-pins-mode]", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        # Quiet: no long task for a second (tiles render in animation frames after arriving).
        while True:
            last = page.evaluate(
                "Math.max(0, ...window.__mmkLongTasks.map(([s, d]) => s + d)) - performance.now()"
            )
            if last < -1000:
                break
            page.wait_for_timeout(250)
        settled = time.perf_counter() - started
        tasks = page.evaluate("window.__mmkLongTasks")
        load_end = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        heap = metrics["JSHeapUsedSize"]
        cdp.send("HeapProfiler.collectGarbage")
        after_gc = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        mode = page.get_attribute(".mmk-map", "data-pins-mode")
        if mode != "tiles":
            raise SystemExit(f"browser: the map drew {mode}, not vector tiles")
        return {
            "long": sum(d for _s, d in tasks) / 1000,
            "long_after_load": sum(min(d, s + d - load_end) for s, d in tasks if s + d > load_end)
            / 1000,
            "heap": heap,
            "heap_gc": after_gc["JSHeapUsedSize"],
            "nodes": metrics["Nodes"],
            "clusters": page.locator(".pin-cluster").count(),
            "settled": settled,
        }
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.browser")
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args, _ = parser.parse_known_args()
    if args.repeats < 5:
        raise SystemExit("a comparison needs at least 5 pairs (--repeats >= 5)")

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    path, seconds = fill(args.proposals)
    print(f"browser: generated {args.proposals} proposals in {seconds:.1f} s (generate_load)")

    from tests.browser import chromium

    sides = ("clusters", "all pins")
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    # The gunicorn settings are read from the environment: the second one never clusters.
    with (
        gunicorn(database_url, workers=2) as clustered,
        gunicorn(database_url, workers=2, env={"MAP_TILE_CLUSTER_MAX_ZOOM": "-1"}) as plain,
        chromium() as browser,
    ):
        urls = {"clusters": clustered + path, "all pins": plain + path}
        # The same warm-up for both: each worker's first page (its map is built once). Not a
        # browser load: one of the side without clusters costs as much as the whole bench may.
        for _ in range(4):
            for side in sides:
                http_get(urls[side])
        for _ in range(args.repeats):
            for side in sides:
                results[side].append(load(browser, urls[side]))

    def median(side: str, key: str) -> float:
        return statistics.median(run[key] for run in results[side])

    def ratio(key: str) -> float:
        pairs = zip(results["clusters"], results["all pins"], strict=True)
        return statistics.median(a[key] / b[key] for a, b in pairs if b[key])

    for side in sides:
        print(
            f"browser: {side}, {args.proposals} pins, project map at 1280x900 (median of "
            f"{args.repeats} cold loads): long tasks {median(side, 'long'):.2f} s since "
            f"navigation, {median(side, 'long_after_load'):.2f} s after the load event; JS heap "
            f"{median(side, 'heap') / 1e6:.1f} MB ({median(side, 'heap_gc') / 1e6:.1f} MB after "
            f"GC); {median(side, 'nodes'):.0f} DOM nodes, {median(side, 'clusters'):.0f} "
            f"clusters; quiet after {median(side, 'settled'):.1f} s"
        )
    long_s, heap = median("clusters", "long"), median("clusters", "heap")
    print(
        f"browser: clusters/all pins -> long tasks ratio {ratio('long'):.2f}, JS heap ratio "
        f"{ratio('heap'):.2f} (load average {load_average()})"
    )
    print(
        f"browser: target < {LONG_TASKS_TARGET:.0f} s long tasks: {long_s:.2f} s "
        f"({'met' if long_s < LONG_TASKS_TARGET else 'MISSED'}); target < "
        f"{HEAP_TARGET / 1e6:.0f} MB JS heap: {heap / 1e6:.1f} MB "
        f"({'met' if heap < HEAP_TARGET else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
