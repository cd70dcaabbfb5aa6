"""Browser tests: Debian's headless Chromium (the `browser` fixture of tests/conftest.py)
against the live server; nothing leaves the machine.

Every request to a host other than the live server is aborted and counted: requests to the tile
server count as tile requests (the map background is a setting), anything else is a failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, Route

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
# Screenshots for people to look at; nothing reads them back but the tests that write them.
SHOTS = Path("/tmp/mitmachkarte-e2e")  # noqa: S108


@dataclass
class Visit:
    """One browser context: its page, and what it tried to load from elsewhere."""

    context: BrowserContext
    page: Page
    base: str
    tile_requests: int = 0
    foreign: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def sign_in(self, user: Any) -> None:
        """A session made by Django's test client, handed to the browser as its cookie."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": self.base}]
        )

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's violations on the current page (WCAG 2.1 A/AA and best practices).

        Injected through the DevTools protocol, so the page's CSP need not allow it and no page
        ever links it.
        """
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ["violations"]});
                return r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)
                }));
            }"""
        )
        return list(result)

    def leaflet_map(self) -> str:
        """A JS expression for the page's (first) Leaflet map: folium names it map_<hash>."""
        return (
            "Object.keys(window).filter(k => /^map_[0-9a-f]+$/.test(k) "
            "&& window[k] instanceof L.Map).map(k => window[k])[0]"
        )

    def click_map_at(self, lon: float, lat: float) -> None:
        """A real mouse click where the map shows lon/lat."""
        point = self.page.evaluate(
            f"""([lat, lon]) => {{
                const map = {self.leaflet_map()};
                const p = map.latLngToContainerPoint([lat, lon]);
                const box = map.getContainer().getBoundingClientRect();
                return {{x: box.left + p.x, y: box.top + p.y}};
            }}""",
            [lat, lon],
        )
        self.page.mouse.click(point["x"], point["y"])


@pytest.fixture
def visit(browser: Browser, live_server: Any, transactional_db: Any) -> Iterator[Any]:
    """Opens browser contexts (desktop by default) whose foreign requests are counted."""
    own = urlsplit(live_server.url).netloc
    tiles = urlsplit(settings.MAP_TILE_URL).netloc.replace("{s}.", "")
    visits: list[Visit] = []

    def open_visit(
        *, width: int = 1280, height: int = 900, locale: str = "de-DE", **options: Any
    ) -> Visit:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, **options
        )
        page = context.new_page()
        current = Visit(context=context, page=page, base=live_server.url)

        def route(route: Route) -> None:
            host = urlsplit(route.request.url).netloc
            if host == own:
                route.continue_()
                return
            if host == tiles or host.endswith("." + tiles):
                current.tile_requests += 1
            else:
                current.foreign[host] += 1
            route.abort()

        def console(message: Any) -> None:
            if message.type != "error":
                return
            # Aborted tiles show up as failed loads; the route handler counts them already.
            if urlsplit(message.location.get("url", "")).netloc.endswith(tiles):
                return
            # Refused forms answer 400/403 on purpose; `response` below judges each request.
            if message.text.startswith(("Failed to load resource", "net::ERR_FAILED")):
                return
            current.errors.append(message.text)

        def response(response: Any) -> None:
            # A page may be a refusal (a 4xx with its reasons); a script, style or API call may not.
            request = response.request
            if response.status >= 400 and request.resource_type != "document":
                current.errors.append(f"{response.status} {request.method} {response.url}")

        context.route("**/*", route)
        page.on("console", console)
        page.on("response", response)
        page.on("pageerror", lambda error: current.errors.append(str(error)))
        visits.append(current)
        return current

    yield open_visit
    for v in visits:
        v.context.close()
    for v in visits:
        # No page may ask any host but ours and the tile server for anything.
        assert dict(v.foreign) == {}, v.foreign
        # CSP refusals ("Refused to execute inline script…") and script errors show up here.
        assert v.errors == [], v.errors
