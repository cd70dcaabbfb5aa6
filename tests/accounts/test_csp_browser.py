"""A real headless Chromium finds no Content-Security-Policy violation on our pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from playwright.sync_api import Browser, Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.factories import CommentFactory, ProjectFactory, ProposalFactory, UserFactory

# Records what the browser refuses, also where nothing reaches the console.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
    window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


# What shows that a page's scripts have run (ReDoc, Swagger UI, the maps, the admin's map
# widget); a page not listed runs no script of its own after `load`.
READY = {
    "/api/docs/": ".opblock-tag",
    "/api/redoc/": "[data-section-id]",
    "/planung/": ".mmk-map--workspace[data-loaded]",
    "/planung/analyse/": ".mmk-map--workspace.leaflet-container",
    "/admin/geo/area/add/": ".ol-viewport",
}
READY_TIMEOUT_MS = 15_000


def after_scripts_ran(page: Page, ready: str | None) -> list[str]:
    """The page's CSP violations once its scripts have run (a refused script that keeps the
    page from rendering counts as one too)."""
    found: list[str] = []
    if ready is not None:
        try:
            page.wait_for_selector(ready, timeout=READY_TIMEOUT_MS)
        except PlaywrightTimeoutError:
            found.append(f"never rendered: {ready}")
    # The violation events are queued as tasks: let one turn of the event loop deliver them.
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
    return found + list(page.evaluate("window.__cspViolations"))


def test_pages_run_under_the_policy_without_violations(
    browser: Browser, live_server: Any, transactional_db: Any
) -> None:
    project = ProjectFactory(slug="stadt-raum-wir")
    proposal = ProposalFactory(project=project, title="Boule-Bahn")
    CommentFactory(proposal=proposal)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    session = client.cookies["sessionid"].value
    own_host = urlsplit(live_server.url).netloc
    public = [
        project.get_absolute_url(),
        proposal.get_absolute_url(),
        "/konto/login/",
        "/konto/signup/",
        "/en/konto/password/reset/",
        "/api/docs/",
        "/api/redoc/",
        "/ogc/collections?f=html",
    ]
    staff = [
        "/konto/profil/",
        "/planung/",
        "/planung/analyse/",
        f"/planung/vorschlaege/{proposal.pk}/",
        "/admin/",
        "/admin/geo/area/add/",
        "/admin/proposals/proposal/",
    ]

    ready = {
        **READY,
        project.get_absolute_url(): ".mmk-map--project[data-pins-loaded]",
        proposal.get_absolute_url(): ".mmk-map--small .leaflet-marker-icon",
        f"/planung/vorschlaege/{proposal.pk}/": ".mmk-map--workspace[data-loaded]",
    }
    messages: list[str] = []
    violations: dict[str, list[str]] = {}

    def route(route: Route) -> None:
        # No request leaves the machine; the tile server's answer is not what is tested here.
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            route.abort()

    context = browser.new_context(locale="de-DE")
    try:
        context.add_init_script(RECORD_VIOLATIONS)
        context.route("**/*", route)
        page = context.new_page()
        page.on(
            "console",
            lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None,
        )
        for path in public + staff:
            if path == staff[0]:
                context.add_cookies(
                    [{"name": "sessionid", "value": session, "url": live_server.url}]
                )
            response = page.goto(live_server.url + path, wait_until="load")
            assert response is not None and response.status == 200, path
            found = after_scripts_ran(page, ready.get(urlsplit(path).path))
            if found:
                violations[path] = found
    finally:
        context.close()

    # ReDoc's sidebar always shows a logo from its CDN; refusing that is the policy's job
    # (api/views.py). Nothing else may be refused anywhere.
    expected = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [m for m in messages if expected not in m] == []
    assert violations.pop("/api/redoc/", []) in ([], [f"img-src {expected}"])
    assert violations == {}
