"""A real headless Chromium finds no Content-Security-Policy violation on our pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from playwright.sync_api import Route, sync_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import CommentFactory, ProjectFactory, ProposalFactory, UserFactory

# Records what the browser refuses, also where nothing reaches the console.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
    window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_pages_run_under_the_policy_without_violations(
    live_server: Any, transactional_db: Any
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

    messages: list[str] = []
    violations: dict[str, list[str]] = {}

    def route(route: Route) -> None:
        # No request leaves the machine; the tile server's answer is not what is tested here.
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="de-DE")
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
                page.wait_for_timeout(600)  # scripts that run after load (ReDoc, Swagger, maps)
                found = page.evaluate("window.__cspViolations")
                if found:
                    violations[path] = found
            # The map's inline script ran: Leaflet drew its container.
            page.goto(live_server.url + project.get_absolute_url(), wait_until="load")
            page.wait_for_selector(".leaflet-container", timeout=10_000)
        finally:
            browser.close()

    # ReDoc's sidebar always shows a logo from its CDN; refusing that is the policy's job
    # (api/views.py). Nothing else may be refused anywhere.
    expected = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [m for m in messages if expected not in m] == []
    assert violations.pop("/api/redoc/", []) in ([], [f"img-src {expected}"])
    assert violations == {}
