"""Screenshot audit: every public, account and workspace page at 1280x900 and 375x667.

Runs against a running demo (`make run`, or runserver with `make demo`'s data) and writes PNGs
for people to look at; it judges nothing itself beyond "no page wider than the screen".

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 /tmp/shots [name-filter]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZES = {"desktop": (1280, 900), "phone": (375, 667)}
PASSWORD = os.environ.get("DEMO_PASSWORD", "mitmachen-kl")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# (name, path, who): who is None (anonymous) or a demo account.
PAGES: list[tuple[str, str, str | None]] = [
    ("home", "/", None),
    ("project-ideas", "/projekte/stadt-raum-wir/", None),
    ("project-ideas-citizen", "/projekte/stadt-raum-wir/", "buerger"),
    ("project-voting", "/projekte/lokale-logistik/", "buerger"),
    ("project-info", "/projekte/mobilitaet-innenstadt/", None),
    ("results", "/projekte/lokale-logistik/ergebnisse/", None),
    ("proposal", "/projekte/stadt-raum-wir/vorschlaege/12/", "buerger"),
    ("option", "/projekte/lokale-logistik/vorschlaege/16/", "buerger"),
    ("proposal-new", "/projekte/stadt-raum-wir/vorschlaege/neu/", "buerger"),
    ("implementation", "/umsetzung/", None),
    ("embed-code", "/einbetten/projekte/stadt-raum-wir/code/", None),
    ("survey", "/umfragen/innenstadt-erreichen/", "buerger"),
    ("survey-results", "/umfragen/innenstadt-erreichen/ergebnisse/", None),
    ("login", "/konto/login/", None),
    ("signup", "/konto/signup/", None),
    ("password-reset", "/konto/password/reset/", None),
    ("profile", "/konto/profil/", "buerger"),
    ("my-participation", "/konto/beteiligung/", "buerger"),
    ("alerts", "/meldungen/", "buerger"),
    ("account-delete", "/konto/loeschen/", "buerger"),
    ("email", "/konto/email/", "buerger"),
    ("password-change", "/konto/password/change/", "buerger"),
    ("tokens", "/konto/zugangsschluessel/", "gis"),
    ("gis-data", "/gis/daten/", "gis"),
    ("ws-home", "/planung/", "planung"),
    ("ws-review", "/planung/vorschlaege/12/", "planung"),
    ("ws-moderation", "/planung/moderation/", "planung"),
    ("ws-analysis", "/planung/analyse/", "planung"),
    ("ws-ballots", "/planung/stimmzettel/", "planung"),
    ("ws-tallies", "/planung/projekte/lokale-logistik/stimmzettel/", "planung"),
    ("ws-notifications", "/benachrichtigungen/", "planung"),
    ("ws-surveys", "/planung/umfragen/", "planung"),
    ("ws-survey-builder", "/planung/umfragen/innenstadt-erreichen/", "planung"),
    ("ws-survey-paper", "/planung/umfragen/innenstadt-erreichen/papier/", "planung"),
    ("ws-survey-results", "/planung/umfragen/innenstadt-erreichen/ergebnisse/", "planung"),
    ("ws-implementation", "/umsetzung/", "planung"),
]


def main() -> None:
    base, out = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    lang = os.environ.get("SHOT_LANG", "de")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, (width, height) in SIZES.items():
            contexts: dict[str | None, object] = {}
            for name, path, who in PAGES:
                if only and only not in name:
                    continue
                if who not in contexts:
                    ctx = browser.new_context(
                        viewport={"width": width, "height": height},
                        locale="de-DE" if lang == "de" else "en-GB",
                    )
                    ctx.route(
                        "**/*",
                        lambda r: r.continue_() if r.request.url.startswith(base) else r.abort(),
                    )
                    page = ctx.new_page()
                    if who:
                        page.goto(base + "/konto/login/")
                        page.fill("input[name=login]", who)
                        page.fill("input[name=password]", PASSWORD)
                        page.locator(
                            "form.auth-form button[type=submit], main form button[type=submit]"
                        ).last.click()
                        page.wait_for_load_state()
                    if lang != "de":
                        page.goto(base + "/")
                        page.locator(f"button[name=language][value={lang}]").click()
                        page.wait_for_load_state()
                    contexts[who] = page
                page = contexts[who]  # type: ignore[assignment]
                prefix = "" if lang == "de" else f"/{lang}"
                response = page.goto(base + prefix + path)  # type: ignore[attr-defined]
                page.wait_for_timeout(900)  # type: ignore[attr-defined]
                wide = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
                status = response.status if response else "?"
                flag = " TOO WIDE" if wide > width else ""
                print(f"{name}@{size}: {status} width {wide}{flag}")
                # Tall pages in parts of a few screens, so that a PNG viewer shows them legibly.
                tall = page.evaluate("document.documentElement.scrollHeight")  # type: ignore[attr-defined]
                part = height * 2
                for i, top in enumerate(range(0, tall, part)):
                    page.screenshot(  # type: ignore[attr-defined]
                        path=str(out / f"{name}-{size}-{i + 1}.png"),
                        full_page=True,
                        clip={"x": 0, "y": top, "width": width, "height": min(part, tall - top)},
                    )
        browser.close()


if __name__ == "__main__":
    main()
