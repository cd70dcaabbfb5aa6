"""In real Chromium: follow an area, a new pin there, the e-mail with the right links; the embed
framed by an allowed origin and refused by another, without cookies; axe-core on the new pages."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Browser, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from proposals.alerts import services
from proposals.alerts.mail import unsubscribe_token
from proposals.alerts.models import AlertSettings, Frequency, Subscription
from proposals.models import Proposal
from tests.e2e.conftest import Visit
from tests.factories import (
    INSIDE,
    AreaFactory,
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    planner,
)


def wait_for_mail(to: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if message.to == [to]:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {to}")


def test_follow_an_area_then_a_pin_there_brings_the_email(visit: Any) -> None:
    project = ProjectFactory(title="Stadt.Raum.Wir.", slug="stadt-raum-wir")
    CategoryFactory(project=project, name="Kultur")
    AreaFactory(name="Innenstadt", slug="innenstadt")
    watcher = UserFactory(username="watcher")
    pinner = UserFactory(username="pinner")

    # The watcher chooses the district in the form.
    w = visit()
    w.sign_in(watcher)
    page = w.page
    page.goto(w.url(reverse("alerts:settings")))
    page.get_by_label("einen Stadtteil").check()
    page.select_option("#id_district", label="Innenstadt")
    page.get_by_role("button", name="Benachrichtigungen für dieses Gebiet erhalten").click()
    page.wait_for_load_state()
    assert "Sie werden über neue Vorschläge in diesem Gebiet benachrichtigt." in page.inner_text(
        "main"
    )
    assert "Innenstadt" in page.inner_text(".subscription-list")

    # Somebody else places a pin there, in the browser.
    p = visit()
    p.sign_in(pinner)
    pin = p.page
    pin.goto(p.url(project.get_absolute_url()))
    pin.wait_for_selector(".mmk-map[data-pins-loaded]")
    p.click_map_at(INSIDE.x, INSIDE.y)
    # The pin stays in view until the person goes on to the form (tests/e2e/test_participation).
    pin.get_by_role("button", name="Weiter: Idee beschreiben").click()
    pin.keyboard.type("Sitzbänke im Schatten")
    pin.get_by_role("button", name="Vorschlag einreichen").click()
    pin.wait_for_load_state()
    proposal = Proposal.objects.get(title="Sitzbänke im Schatten")

    message = wait_for_mail("watcher@example.org")
    assert "Sitzbänke im Schatten" in message.subject
    assert all(m.to != ["pinner@example.org"] for m in mail.outbox)
    links = re.findall(r"https?://[^/\s]+(/\S+)", message.body)
    assert proposal.get_absolute_url() in links
    unsubscribe = next(link for link in links if "/meldungen/abmelden/" in link)

    # The proposal's link opens the proposal; the unsubscribe link works without signing in.
    page.goto(w.url(proposal.get_absolute_url()))
    assert page.locator("h1").inner_text() == "Sitzbänke im Schatten"
    anonymous = visit()
    anonymous.page.goto(anonymous.url(unsubscribe))
    anonymous.page.get_by_role("button", name="Diese E-Mails abbestellen").click()
    anonymous.page.wait_for_load_state()
    assert "Erledigt" in anonymous.page.inner_text("main")
    assert AlertSettings.objects.get(user=watcher).frequency == Frequency.OFF


@contextmanager
def city_site(embed_url: str) -> Iterator[str]:
    """Another site (another origin: a port of its own) whose page frames the embed.

    A real server on loopback, not a page faked by the browser: Chromium's local-network rules
    refuse a page of unknown address framing the live server, and this test is about our CSP.
    """
    page = (
        f'<!DOCTYPE html><html lang="de"><title>Stadt</title><iframe src="{embed_url}" '
        'title="Karte" width="800" height="500"></iframe></html>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _framed_by(browser: Browser, parent: str) -> tuple[bool, list[Any]]:
    """Open `parent`'s page; True when the framed embed shows its map with the pins."""
    context = browser.new_context()
    tiles = urlsplit(django_settings.MAP_TILE_URL).netloc

    def route(route: Route) -> None:
        if urlsplit(route.request.url).netloc == tiles:
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(parent + "/")
    try:
        page.frame_locator("iframe").locator(".mmk-map[data-pins-loaded]").wait_for(timeout=8000)
        shown = True
    except PlaywrightTimeout:
        shown = False
    cookies = context.cookies()
    context.close()
    return shown, cookies


def test_embed_framed_by_allowed_origin_only_and_without_cookies(
    browser: Browser, live_server: Any, transactional_db: Any, settings: Any
) -> None:
    project = ProjectFactory(slug="einbetten")
    ProposalFactory(project=project, title="Bank")
    url = live_server.url + reverse("alerts:embed", args=[project.slug])
    with city_site(url) as allowed, city_site(url) as other:
        settings.EMBED_FRAME_ANCESTORS = [allowed]
        shown, cookies = _framed_by(browser, allowed)
        assert shown
        assert cookies == []
        refused, _cookies = _framed_by(browser, other)
        assert not refused


def test_axe_finds_no_violations_on_the_new_pages(visit: Any) -> None:
    project = ProjectFactory(title="Stadt.Raum.Wir.", slug="stadt-raum-wir")
    CategoryFactory(project=project, name="Kultur", color="#7a3e9d")
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz", location=Point(7.7689, 49.4447, srid=4326))
    AreaFactory(name="Innenstadt", slug="innenstadt")
    accepted = ProposalFactory(project=project, title="Bänke", status="accepted")
    city = planner(username="city")
    services.progress_add(actor=city, proposal=accepted, text="Bestellt.", stage="under_way")
    citizen = UserFactory(username="axe")
    services.proposal_follow(user=citizen, proposal=accepted)

    anonymous = visit()
    signed_in = visit()
    signed_in.sign_in(citizen)
    staff = visit()
    staff.sign_in(city)
    pages: dict[str, tuple[Visit, str]] = {
        "settings": (signed_in, reverse("alerts:settings")),
        "implementation (city)": (anonymous, reverse("alerts:implementation")),
        "implementation (project)": (
            anonymous,
            reverse("alerts:project-implementation", args=[project.slug]),
        ),
        "proposal with progress and follow": (signed_in, accepted.get_absolute_url()),
        "project with follow panel": (signed_in, project.get_absolute_url()),
        "progress form": (staff, reverse("alerts:progress-new", args=[accepted.pk])),
        "embed": (anonymous, reverse("alerts:embed", args=[project.slug])),
        "embed code": (anonymous, reverse("alerts:embed-code", args=[project.slug])),
        "unsubscribe": (
            anonymous,
            reverse("alerts:unsubscribe", args=[unsubscribe_token(citizen.pk)]),
        ),
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for name, (v, path) in pages.items():
        response = v.page.goto(v.url(path))
        assert response is not None and response.status == 200, name
        if v.page.locator(".mmk-map--project").count():
            v.page.wait_for_timeout(500)
        found[name] = v.axe()
    counts = {name: len(violations) for name, violations in found.items()}
    assert counts == dict.fromkeys(found, 0), json.dumps(
        {k: v for k, v in found.items() if v}, indent=2, ensure_ascii=False
    )


def test_an_area_drawn_on_the_map_becomes_the_alert(visit: Any) -> None:
    person = UserFactory(username="drawer")
    v = visit()
    v.sign_in(person)
    page = v.page
    page.goto(v.url(reverse("alerts:settings")))
    page.wait_for_selector(".leaflet-container")
    page.locator(".leaflet-container").scroll_into_view_if_needed()
    corners = [(7.765, 49.440), (7.775, 49.440), (7.770, 49.447)]
    for lon, lat in corners[:2]:
        v.click_map_at(lon, lat)
    assert "Noch 1 Ecke(n) nötig." in page.inner_text("#draw-status")
    v.click_map_at(*corners[2])
    assert "3 Ecken" in page.inner_text("#draw-status")
    assert page.is_checked("input[name=kind][value=drawn]")
    page.get_by_role("button", name="Benachrichtigungen für dieses Gebiet erhalten").click()
    page.wait_for_load_state()
    subscription = Subscription.objects.get(user=person)
    assert subscription.kind == "drawn"
    inside = Point(7.770, 49.442, srid=4326).transform(25832, clone=True)
    outside = Point(7.780, 49.442, srid=4326).transform(25832, clone=True)
    assert subscription.region.contains(inside)
    assert not subscription.region.contains(outside)
