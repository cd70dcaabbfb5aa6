"""A real headless Chromium on the project page: pins load from the API, no third-party request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import Browser, Route

from proposals.models import Project, Proposal
from tests.factories import (
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    VoteFactory,
)
from tests.images import noise_jpeg
from tests.proposals.test_photos import photo_for

# Where people look at the result (the task names this path); nothing reads it back but the test.
SCREENSHOT = Path("/tmp/project-page.png")  # noqa: S108
PHONE_SCREENSHOT = Path("/tmp/proposal-page-phone.png")  # noqa: S108
POPUP_SCREENSHOT = Path("/tmp/pin-popup-photo.png")  # noqa: S108
EVIL_TITLE = '<img src=x onerror="window.pwned=1">Bänke'


def make_project() -> Any:
    project = ProjectFactory(
        voting=True,
        results_visibility=Project.ResultsVisibility.LIVE,
        title="Stadt.Raum.Wir.",
        slug="stadt-raum-wir",
        summary="Wofür soll der Platz genutzt werden, und für wen?",
        body="Der Platz ist beliebt. Sagen Sie uns, was dort stattfinden soll.",
    )
    culture = CategoryFactory(project=project, name="Kultur", color="#7a3e9d")
    sport = CategoryFactory(project=project, name="Sport", color="#2e7d32")
    SiteFactory(name="Stiftsplatz", location=Point(7.7689, 49.4447, srid=4326))
    spots = [(7.750, 49.436), (7.772, 49.441), (7.785, 49.447)]
    titles = ["Open-Air-Kino", "Boule-Bahn", EVIL_TITLE]
    proposals = [
        ProposalFactory(
            project=project,
            title=title,
            category=culture if i != 1 else sport,
            location=Point(x, y, srid=4326),
        )
        for i, (title, (x, y)) in enumerate(zip(titles, spots, strict=True))
    ]
    VoteFactory(proposal=proposals[0])
    VoteFactory(proposal=proposals[0])
    # Not to be seen by anyone but the author and planners: must not reach the map.
    ProposalFactory(project=project, title="Wartet", visibility=Proposal.Visibility.PENDING)
    return project


def test_project_page_loads_pins_from_the_api_without_third_party_requests(
    browser: Browser, live_server: Any, transactional_db: Any, settings: Any
) -> None:
    project = make_project()
    url = live_server.url + project.get_absolute_url()
    own_host = urlsplit(live_server.url).netloc
    tile_host = urlsplit(settings.MAP_TILE_URL).netloc

    blocked: dict[str, int] = {}
    api_requests: list[str] = []
    console_errors: list[str] = []

    def route(route: Route) -> None:
        host = urlsplit(route.request.url).netloc
        if host == own_host:
            if "/api/v1/proposals/" in route.request.url:
                api_requests.append(route.request.url)
            route.continue_()
        else:
            blocked[host] = blocked.get(host, 0) + 1
            route.abort()

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        # An aborted tile shows up as a failed resource load; that one is expected.
        if urlsplit(message.location.get("url", "")).netloc == tile_host:
            return
        console_errors.append(message.text)

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
    try:
        page.route("**/*", route)
        page.on("console", on_console)
        page.on("pageerror", lambda error: console_errors.append(str(error)))

        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200
        page.wait_for_selector(".mmk-map[data-pins-loaded]", timeout=15_000)

        loaded = page.get_attribute(".mmk-map--project", "data-pins-loaded")
        singles = page.locator(".mmk-map--project .pin-icon").count()
        clustered = sum(
            int(text)
            for text in page.locator(".mmk-map--project .marker-cluster span").all_inner_texts()
        )
        status = page.inner_text(".map-status")
        sites = page.locator(".mmk-map--project path.leaflet-interactive").count()

        # Open the popup of the pin with the hostile title: text, not HTML.
        if singles:
            page.locator(".mmk-map--project .pin-icon").first.click()
            page.wait_for_selector(".pin-popup", timeout=5_000)
        popup_links = page.locator(".pin-popup a").count()
        popup_text = page.inner_text(".pin-popup") if popup_links else ""
        page.wait_for_timeout(400)  # the popup fades in; let the picture show it fully
        pwned = page.evaluate("window.pwned === 1")

        # With the popup open, so the picture shows it too.
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        list_titles = page.locator(".proposal-item__title a").all_inner_texts()
    finally:
        page.context.close()

    assert loaded == "3"
    assert singles + clustered == 3
    assert re.search(r"\b3\b", status)
    assert sites >= 1  # the perimeter and the site are drawn
    assert popup_links == 2  # title and "open proposal"
    assert "Stimmen:" in popup_text and "Vorschlag öffnen" in popup_text
    assert pwned is False
    assert sorted(list_titles) == sorted(["Open-Air-Kino", "Boule-Bahn", EVIL_TITLE])
    assert api_requests and all("project=stadt-raum-wir" in u for u in api_requests)
    assert console_errors == []
    # Tiles were asked for (and refused here); nothing else left the site.
    assert blocked.get(tile_host, 0) > 0
    assert {host: n for host, n in blocked.items() if host != tile_host} == {}
    assert SCREENSHOT.stat().st_size > 10_000


def test_proposal_page_on_a_phone_shows_its_pin_with_no_third_party_request(
    browser: Browser, live_server: Any, transactional_db: Any, settings: Any
) -> None:
    project = make_project()
    proposal = Proposal.objects.get(project=project, title="Open-Air-Kino")
    CommentFactory(proposal=proposal, body="Gerne mit Sitzkissen!")
    url = live_server.url + proposal.get_absolute_url()
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

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="de-DE")
    try:
        page.route("**/*", route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url, wait_until="load")
        page.wait_for_selector(".mmk-map--small .leaflet-marker-icon", timeout=15_000)
        marker_title = page.get_attribute(".mmk-map--small .leaflet-marker-icon", "title")
        page_width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(PHONE_SCREENSHOT), full_page=True)
    finally:
        page.context.close()

    assert marker_title == "Open-Air-Kino"
    assert page_width <= 390  # nothing forces sideways scrolling on a phone
    assert errors == []
    assert {host: n for host, n in blocked.items() if host != tile_host} == {}


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 375, "height": 667}],
    ids=["desktop", "phone"],
)
def test_a_pin_s_popup_shows_the_proposal_s_photo(
    browser: Browser, live_server: Any, transactional_db: Any, viewport: dict[str, int]
) -> None:
    project = ProjectFactory(title="Stadt.Raum.Wir.", slug="stadt-raum-wir")
    proposal = ProposalFactory(
        project=project, title="Schatten für die Bänke", location=Point(7.7689, 49.4447, srid=4326)
    )
    photo = photo_for(proposal, data=noise_jpeg(900, 600), alt="Die Linde am Stiftsplatz")
    page = browser.new_page(viewport=viewport, locale="de-DE")
    try:
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if urlsplit(route.request.url).netloc == urlsplit(live_server.url).netloc
                else route.abort()
            ),
        )
        page.goto(live_server.url + project.get_absolute_url(), wait_until="load")
        page.wait_for_selector(".mmk-map[data-pins-loaded]", timeout=15_000)
        page.locator(".mmk-map--project .pin-icon").first.click()
        picture = page.locator(".pin-popup img.pin-popup__photo")
        picture.wait_for(timeout=5_000)
        page.wait_for_function(
            "document.querySelector('.pin-popup__photo').complete", timeout=5_000
        )
        shown = picture.evaluate(
            "img => ({src: new URL(img.src).pathname, alt: img.alt, width: img.naturalWidth,"
            " drawn: img.getBoundingClientRect().width})"
        )
        page.wait_for_timeout(400)  # the popup fades in (and the map pans to show it)
        # The legend lies over the map's corner on wide screens: the popup keeps clear of it.
        overlap = page.evaluate(
            """() => {
              const a = document.querySelector('.leaflet-popup-content-wrapper')
                .getBoundingClientRect();
              const legend = document.querySelector('.project-stage__map .map-legend');
              if (getComputedStyle(legend).position !== 'absolute') return null;
              const b = legend.getBoundingClientRect();
              return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            }"""
        )
        page.screenshot(path=str(POPUP_SCREENSHOT).replace(".png", f"-{viewport['width']}.png"))
    finally:
        page.context.close()

    assert shown["src"] == f"/fotos/{photo.pk}/thumb.jpg"
    assert shown["alt"] == "Die Linde am Stiftsplatz"
    assert shown["width"] > 0  # the picture arrived and decoded
    assert overlap is (None if viewport["width"] < 960 else False)
    # A small picture inside the popup, not the full photo, and within a phone's screen.
    assert 0 < shown["drawn"] <= min(300, viewport["width"] - 60)
