"""A planner in a real headless Chromium: map and table, filter, answer; the public sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.test import Client
from playwright.sync_api import Browser, Route

from proposals.models import Proposal, ProposalResponse
from tests.factories import (
    AreaFactory,
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    VoteFactory,
    planner,
)

SCREENSHOT = Path("/tmp/workspace-page.png")  # noqa: S108
ANALYSIS_SCREENSHOT = Path("/tmp/workspace-analysis.png")  # noqa: S108
EVIL = '<img src=x onerror="window.pwned=1">Bank'


def test_planner_reviews_in_the_browser(
    browser: Browser, live_server: Any, transactional_db: Any, settings: Any
) -> None:
    # Data first: Django refuses ORM calls while Playwright's event loop runs in this thread.
    project = ProjectFactory(
        title="Stadt.Raum.Wir.", slug="stadt-raum-wir", office="Referat Stadtentwicklung"
    )
    culture = CategoryFactory(project=project, name="Kultur")
    AreaFactory(
        name="Innenstadt",
        slug="innenstadt",
        geometry=MultiPolygon(Polygon.from_bbox((7.74, 49.43, 7.79, 49.45)), srid=4326),
        population=9000,
    )
    titles = ["Open-Air-Kino", "Boule-Bahn", "Trinkbrunnen", EVIL]
    spots = [(7.750, 49.436), (7.772, 49.441), (7.769, 49.4447), (7.785, 49.447)]
    proposals = [
        ProposalFactory(project=project, title=t, category=culture, location=Point(x, y, srid=4326))
        for t, (x, y) in zip(titles, spots, strict=True)
    ]
    VoteFactory(proposal=proposals[0])
    user = planner(username="planung")
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    kino = proposals[0]
    own_host = urlsplit(live_server.url).netloc
    tile_host = urlsplit(settings.MAP_TILE_URL).netloc
    blocked: dict[str, int] = {}
    errors: list[str] = []

    def route(route: Route) -> None:
        host = urlsplit(route.request.url).netloc
        if host == own_host:
            route.continue_()
        else:
            blocked[host] = blocked.get(host, 0) + 1
            route.abort()

    def on_console(message: Any) -> None:
        if (
            message.type == "error"
            and urlsplit(message.location.get("url", "")).netloc != tile_host
        ):
            errors.append(message.text)

    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    try:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.route("**/*", route)
        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(live_server.url + "/planung/", wait_until="load")
        page.wait_for_selector(".mmk-map--workspace[data-loaded]", timeout=15_000)
        loaded = page.get_attribute(".mmk-map--workspace", "data-loaded")
        markers = page.locator(".mmk-map--workspace path.ws-marker").count()
        rows = page.locator("table.ws-table tbody tr").count()
        has_draw_tool = page.locator(".leaflet-draw-draw-polygon").count()
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # Filter by text: the table and the map both narrow down.
        page.fill("#id_q", "kino")
        page.click(".workspace-filters button[type=submit]")
        page.wait_for_selector(".mmk-map--workspace[data-loaded]", timeout=15_000)
        filtered_loaded = page.get_attribute(".mmk-map--workspace", "data-loaded")
        filtered_rows = page.locator("table.ws-table tbody tr th a").all_inner_texts()

        # Open the proposal from the table, answer it with a status change.
        page.click("table.ws-table tbody tr th a")
        page.wait_for_selector("#review-heading")
        page.select_option("#id_to_status", "under_review")
        page.fill("#id_response_text", "Wir prüfen den Standort mit dem Grünflächenamt.")
        page.click("form[action$='/status/'] button[type=submit]")
        page.wait_for_selector(".messages")
        status_after = page.inner_text("#current-status")

        # The public page shows the new status and the signed response.
        page.goto(live_server.url + kino.get_absolute_url(), wait_until="load")
        public = page.inner_text("main")

        # The analysis page: choropleth and heat map render without errors.
        page.goto(live_server.url + "/planung/analyse/?heat=votes", wait_until="load")
        # The density grid: shaded squares with a legend of its classes.
        page.wait_for_selector("#heat-legend-heading", timeout=15_000)
        heat_map = page.locator(".mmk-map--workspace").nth(1)
        heat_map.locator("path.leaflet-interactive").first.wait_for(timeout=15_000)
        assert page.locator(".ws-legend").nth(1).locator("li").count() == 5
        district_shapes = page.locator("path.leaflet-interactive").count()
        district_row = page.inner_text("tr[data-district='innenstadt']")
        page.screenshot(path=str(ANALYSIS_SCREENSHOT), full_page=True)
        pwned = page.evaluate("window.pwned === 1")
    finally:
        context.close()

    assert loaded == "4" and markers == 4 and rows == 4
    assert has_draw_tool == 1
    assert filtered_loaded == "1" and filtered_rows == ["Open-Air-Kino"]
    assert status_after == "In Prüfung"
    assert "Wir prüfen den Standort mit dem Grünflächenamt." in public
    assert "Referat Stadtentwicklung" in public
    assert "In Prüfung" in public
    assert district_shapes >= 1
    assert district_row.split() == ["Innenstadt", "9.000", "4", "0,44", "1"]
    assert pwned is False
    assert errors == []
    assert {host: n for host, n in blocked.items() if host != tile_host} == {}
    assert Proposal.objects.get(pk=kino.pk).status == Proposal.Status.UNDER_REVIEW
    assert ProposalResponse.objects.get().responder == user
    assert SCREENSHOT.stat().st_size > 10_000
