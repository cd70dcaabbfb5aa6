"""Above the threshold of pins the project map switches to vector tiles, in a real browser."""

from __future__ import annotations

import random
from typing import Any

from django.contrib.gis.geos import Point

from proposals.models import Project, Proposal
from tests.e2e.conftest import SHOTS
from tests.factories import CENTRE_BOX, CategoryFactory, ProjectFactory, ProposalFactory

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


def test_many_pins_come_as_vector_tiles(visit: Any, settings: Any) -> None:
    # live_server runs in this process: the override reaches the page it renders.
    settings.MAP_VECTOR_TILE_THRESHOLD = 20
    project, lonely = crowded_project(60)
    v = visit()
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

    # A click on a point opens its popup, built from the tile's properties as text.
    page.locator(".mmk-map--project").scroll_into_view_if_needed()
    v.click_map_at(lonely.location.x, lonely.location.y)
    popup = page.wait_for_selector(".pin-popup", timeout=5_000)
    assert popup is not None
    assert popup.inner_text().startswith(EVIL_TITLE)
    link = page.locator(".pin-popup a").first.get_attribute("href") or ""
    assert link.endswith(f"/projekte/viele-pins/vorschlaege/{lonely.pk}/")
    text = popup.inner_text()
    # Results are live: the votes show; tiles carry no comment count, so none is claimed.
    assert "Stimmen: 0" in text
    assert "Kommentare" not in text
    assert "·" not in text
    assert page.evaluate("window.pwned === undefined")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "vector-tiles.png"), full_page=False)

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
