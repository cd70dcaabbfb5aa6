"""Above the threshold of pins the project map switches to vector tiles, in a real browser."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from proposals.models import Project, Proposal
from tests.e2e.conftest import SHOTS
from tests.factories import (
    CENTRE_BOX,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
)
from tests.images import noise_jpeg
from tests.proposals.test_photos import photo_for

EVIL_TITLE = '<img src=x onerror="window.pwned=1">Viele Bänke'


def crowded_project(pins: int) -> tuple[Project, Proposal]:
    project = ProjectFactory(
        slug="viele-pins",
        title="Viele Pins",
        voting=True,
        results_visibility=Project.ResultsVisibility.LIVE,
    )
    culture = CategoryFactory(project=project, name="Kultur", color="#7a3e9d")
    rng = random.Random(6)
    x1, y1, x2, y2 = CENTRE_BOX
    for i in range(pins - 1):
        ProposalFactory(
            project=project,
            title=f"Idee {i}",
            category=culture if i % 2 else None,
            location=Point(rng.uniform(x1, x2), rng.uniform(y1, y2), srid=4326),
        )
    # A pin alone in the middle, easy to hit with the mouse.
    lonely = ProposalFactory(
        project=project,
        title=EVIL_TITLE,
        category=culture,
        location=Point((x1 + x2) / 2, (y1 + y2) / 2, srid=4326),
    )
    return project, lonely


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 667)], ids=["desktop", "phone"])
def test_many_pins_come_as_vector_tiles(visit: Any, settings: Any, width: int, height: int) -> None:
    # live_server runs in this process: the override reaches the page it renders.
    settings.MAP_VECTOR_TILE_THRESHOLD = 20
    project, lonely = crowded_project(60)
    # Photos are added while ideas are collected: back then for this one, then voting again.
    phases = Project.objects.filter(pk=project.pk)
    dates = phases.values("ideas_end", "voting_start", "voting_end").get()
    later = timezone.now() + timedelta(days=1)
    phases.update(ideas_end=later, voting_start=later, voting_end=later + timedelta(days=1))
    photo = photo_for(
        Proposal.objects.get(pk=lonely.pk), data=noise_jpeg(600, 400), alt="Bänke unter der Linde"
    )
    phases.update(**dates)
    CommentFactory.create_batch(2, proposal=lonely)
    v = visit(width=width, height=height)
    page = v.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-mode]", timeout=15_000)
    assert page.get_attribute(".mmk-map--project", "data-pins-mode") == "tiles"
    assert page.get_attribute(".mmk-map--project", "data-pins-loaded") == "60"
    # The tiles draw the points as SVG circles; wait until some tile has them.
    page.wait_for_selector(".mmk-map--project .leaflet-tile path.leaflet-interactive")
    page.wait_for_load_state("networkidle")

    geojson_pages = [u for u in requests if "/api/v1/proposals/" in u]
    tiles = [u for u in requests if "/api/v1/tiles/proposals/" in u]
    assert len(geojson_pages) == 1, geojson_pages
    assert tiles, requests
    assert all("project=viele-pins" in u for u in tiles)
    assert page.locator(".mmk-map--project .pin-icon").count() == 0  # no markers besides
    assert "60" in page.inner_text(".map-status")

    # A click on a point opens its popup, built from the tile's properties as text; then the
    # proposal's own Feature (one request to the API) adds what a marker's popup shows.
    details: list[str] = []
    page.on(
        "request",
        lambda request: (
            details.append(request.url)
            if f"/api/v1/proposals/{lonely.pk}/" in request.url
            else None
        ),
    )
    page.locator(".mmk-map--project").scroll_into_view_if_needed()
    v.click_map_at(lonely.location.x, lonely.location.y)
    popup = page.wait_for_selector(".pin-popup", timeout=5_000)
    assert popup is not None
    assert popup.inner_text().startswith(EVIL_TITLE)
    picture = page.locator(".pin-popup img.pin-popup__photo")
    picture.wait_for(timeout=5_000)
    assert picture.get_attribute("alt") == "Bänke unter der Linde"
    assert (picture.get_attribute("src") or "").endswith(f"/fotos/{photo.pk}/thumb.jpg")
    link = page.locator(".pin-popup a").first.get_attribute("href") or ""
    assert link.endswith(f"/projekte/viele-pins/vorschlaege/{lonely.pk}/")
    text = page.inner_text(".pin-popup")
    # Results are live: the votes show, and the comments, counted by the API.
    assert "Stimmen: 0 · Kommentare: 2" in text
    assert "Kultur" in text
    assert len(details) == 1, details
    assert page.evaluate("window.pwned === undefined")
    page.wait_for_timeout(400)  # the popup fades in, and the map pans to fit its new content
    # With its photo the popup still fits the map, beside the zoom buttons, even on a phone.
    boxes = page.evaluate(
        """() => {
          const box = (el) => el.getBoundingClientRect().toJSON();
          const map = document.querySelector('.mmk-map--project');
          return {
            map: box(map),
            popup: box(map.querySelector('.leaflet-popup-content-wrapper')),
            zoom: box(map.querySelector('.leaflet-control-zoom')),
          };
        }"""
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"vector-tiles-{width}.png"), full_page=False)
    m, p, z = boxes["map"], boxes["popup"], boxes["zoom"]
    assert m["left"] <= p["left"] and p["right"] <= m["right"], boxes
    assert p["left"] >= z["right"] or p["top"] >= z["bottom"], boxes

    # The list stays the accessible alternative: every proposal on the page's list pages.
    assert page.locator(".proposal-item__title a").count() > 0


def test_few_pins_stay_markers(visit: Any, settings: Any) -> None:
    settings.MAP_VECTOR_TILE_THRESHOLD = 100
    project, _lonely = crowded_project(30)
    v = visit()
    page = v.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-mode]", timeout=15_000)
    assert page.get_attribute(".mmk-map--project", "data-pins-mode") == "markers"
    assert page.get_attribute(".mmk-map--project", "data-pins-loaded") == "30"
    assert not [u for u in requests if "/api/v1/tiles/" in u]


def test_dense_tiles_draw_clusters_that_zoom_in(visit: Any, settings: Any) -> None:
    settings.MAP_VECTOR_TILE_THRESHOLD = 20
    settings.MAP_TILE_CLUSTER_ABOVE = 5  # the demo's tiles hold more: they carry clusters
    project, _lonely = crowded_project(60)
    for width, height in ((1280, 900), (375, 667)):
        v = visit(width=width, height=height)
        page = v.page
        page.goto(v.url(project.get_absolute_url()))
        page.wait_for_selector(".mmk-map[data-pins-mode=tiles]", timeout=15_000)
        cluster = page.wait_for_selector(".mmk-map--project .pin-cluster", timeout=10_000)
        assert cluster is not None
        page.wait_for_load_state("networkidle")
        page.locator(".mmk-map--project").scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"vector-tile-clusters-{width}.png"), full_page=False)

    # Every proposal is counted once: the clusters and the pins drawn add up to all 60 (the
    # whole project is in view).
    counts = page.eval_on_selector_all(
        ".mmk-map--project .pin-cluster", "els => els.map(e => +e.dataset.count)"
    )
    assert counts and all(n > 0 for n in counts)
    pins = page.locator(".mmk-map--project .leaflet-tile path.leaflet-interactive").count()
    assert sum(counts) + pins >= 60 - 1  # a pin of a neighbouring tile's buffer may be drawn twice
    # A cluster is a button with a name that says what it does.
    label = page.get_attribute(".mmk-map--project .pin-cluster", "aria-label") or ""
    assert "Vorschläge hier" in label or "Ein Vorschlag hier" in label
    assert page.get_attribute(".mmk-map--project .pin-cluster", "role") == "button"

    zoom = f"({v.leaflet_map()}).getZoom()"

    def zoomed_beyond(level: float) -> float:
        # Polled from here: the page's CSP forbids the eval that wait_for_function uses.
        for _ in range(50):
            now = float(page.evaluate(zoom))
            if now > level:
                return now
            page.wait_for_timeout(100)
        raise AssertionError(f"the map stayed at zoom {level}")

    # By keyboard: a cluster takes the focus, and Enter zooms in.
    before = page.evaluate(zoom)
    page.locator(".mmk-map--project .pin-cluster").first.focus()
    page.keyboard.press("Enter")
    assert zoomed_beyond(before) >= before + 1

    # By mouse, on the page as it first shows.
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map--project .pin-cluster", timeout=10_000)
    page.wait_for_load_state("networkidle")
    before = page.evaluate(zoom)
    page.locator(".mmk-map--project .pin-cluster").first.click()
    assert zoomed_beyond(before) >= before + 1
