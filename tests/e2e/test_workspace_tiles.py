"""The planners' map switches to vector tiles above the threshold, with the same filters."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_vector_tiles import EVIL_TITLE, crowded_project
from tests.factories import planner


def test_crowded_workspace_map_uses_vector_tiles(visit: Any, settings: Any) -> None:
    settings.MAP_VECTOR_TILE_THRESHOLD = 20
    project, lonely = crowded_project(60)
    v = visit()
    v.sign_in(planner())
    page = v.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(v.url(f"/planung/?project={project.slug}"))
    page.wait_for_selector(".mmk-map--workspace[data-mode='tiles']", timeout=15_000)
    assert page.get_attribute(".mmk-map--workspace", "data-loaded") == "60"
    page.wait_for_selector(".mmk-map--workspace .leaflet-tile path.leaflet-interactive")
    page.wait_for_load_state("networkidle")
    tiles = [u for u in requests if "/api/workspace/tiles/" in u]
    assert tiles and all(f"project={project.slug}" in u for u in tiles), requests
    assert page.locator(".mmk-map--workspace path.ws-marker").count() == 0

    page.locator(".mmk-map--workspace").scroll_into_view_if_needed()
    v.click_map_at(lonely.location.x, lonely.location.y)
    popup = page.wait_for_selector(".ws-popup", timeout=5_000)
    assert popup is not None and popup.inner_text().startswith(EVIL_TITLE)
    link = page.locator(".ws-popup a").first.get_attribute("href") or ""
    assert link.endswith(f"/planung/vorschlaege/{lonely.pk}/")
    assert page.evaluate("window.pwned === undefined")
