"""Numbers and dates in the page's language on every workspace page and the public results:
German "2,22" and "1.234", English "2.22" and "1,234" — in the text, in the tables, and in what
the maps' scripts put into tooltips and popups (the choropleth's labels, the heat grid's sums).

The Kaiserslautern demo (load_demo) is the data: districts with residents, votes, paper ballots,
a survey with answers, so the pages show decimals and thousands. Coordinates in attributes and
scripts are not text and are not read.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command

from proposals.models import Project

# A date in German ("26.11.2026", "26.11.") is not a decimal number.
GERMAN_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.(?:\d{2,4})?")
# Coordinate pairs in input syntax ("7.7689, 49.4447", WKT "7.76 49.44"): what a person types
# into a machine field, the same in every language.
COORDINATE_PAIR = re.compile(r"\d{1,3}\.\d+,? \d{1,3}\.\d+")
# A dot between digits that is not a group of exactly three: a decimal point.
POINT_DECIMAL = re.compile(r"\d\.(?!\d{3}(?!\d))\d+")
# A comma before exactly three digits and nothing more, after at most three: a thousands comma.
COMMA_GROUP = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
# A comma between digits that is not a group of exactly three: a decimal comma.
COMMA_DECIMAL = re.compile(r"\d,(?!\d{3}(?!\d))\d+")
# German grouping (two or more dot groups, or dot groups of a five-digit-or-longer number).
DOT_GROUP = re.compile(
    r"(?<![\d.,])\d{1,3}(?:\.\d{3}){2,}(?![\d.])|(?<![\d.,])\d{2,3}\.\d{3}(?![\d.,])"
)

# The page's text as read (scripts, styles, code samples and form values left out), plus the
# text of every tooltip and popup the page's Leaflet maps hold.
READ = """() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll("script, style, noscript, textarea, code, pre, svg, template, input")
        .forEach(e => e.remove());
    // Text node by text node, so that neighbouring table cells do not run into one number.
    const parts = [];
    const walker = document.createTreeWalker(copy, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) parts.push(walker.currentNode.nodeValue);
    const maps = Object.keys(window).filter(k => /^map_[0-9a-f]+$/.test(k)
        && window[k] instanceof L.Map).map(k => window[k]);
    const text = c => c == null ? "" : (typeof c === "string" ? c
        : (c.textContent !== undefined ? c.textContent : String(c)));
    for (const map of maps) {
        map.eachLayer(layer => {
            const tip = layer.getTooltip && layer.getTooltip();
            if (tip) parts.push(text(tip.getContent()));
            const pop = layer.getPopup && layer.getPopup();
            if (pop) parts.push(text(pop.getContent()));
        });
    }
    return parts.join("\\n").replace(/[ \\t\\u00a0]+/g, " ");
}"""


def wrong_numbers(text: str, language: str) -> list[str]:
    """Snippets of `text` with a number written the other language's way."""
    found: list[re.Match[str]] = []
    text = COORDINATE_PAIR.sub(" ", text)
    if language == "de":
        text = GERMAN_DATE.sub(" ", text)
        found += POINT_DECIMAL.finditer(text)
        found += COMMA_GROUP.finditer(text)
    else:
        found += COMMA_DECIMAL.finditer(text)
        found += DOT_GROUP.finditer(text)
    return [text[max(m.start() - 30, 0) : m.end() + 30].replace("\n", " ") for m in found]


def test_the_finder_tells_the_formats_apart() -> None:
    # The rule the browser test relies on, on known strings (it must be able to fail).
    assert wrong_numbers("2,22 je 1.000 Einwohner, 1.234 Stimmen am 26.11.2026", "de") == []
    assert wrong_numbers("per 1,000: 2.22, 1,234 votes on Nov. 26, 2026", "en") == []
    assert wrong_numbers("z. B. POLYGON((7.76 49.44, 7.77 49.44))", "de") == []
    assert len(wrong_numbers("Anteil 2.22 %", "de")) == 1
    assert len(wrong_numbers("Einwohner 14,000", "de")) == 1
    assert len(wrong_numbers("share 2,22 %", "en")) == 1
    assert len(wrong_numbers("residents 14.000", "en")) == 1


def test_workspace_and_results_write_numbers_the_pages_way(visit: Any) -> None:
    call_command("load_demo", stdout=io.StringIO())
    planner = get_user_model().objects.get(username="planung")
    closed = Project.objects.get(slug="lokale-logistik")
    proposal = Project.objects.get(slug="stadt-raum-wir").proposals.order_by("pk").first()
    assert proposal is not None
    paths = [
        "/planung/",
        f"/planung/vorschlaege/{proposal.pk}/",
        "/planung/moderation/",
        "/planung/analyse/",
        "/planung/analyse/?shade=count&heat=votes",
        "/planung/stimmzettel/",
        f"/planung/projekte/{closed.slug}/stimmzettel/",
        "/benachrichtigungen/",
        "/planung/umfragen/",
        "/planung/umfragen/innenstadt-erreichen/",
        "/planung/umfragen/innenstadt-erreichen/papier/",
        "/planung/umfragen/innenstadt-erreichen/ergebnisse/",
        "/umsetzung/",
        f"/projekte/{closed.slug}/",
        f"/projekte/{closed.slug}/ergebnisse/",
        "/umfragen/innenstadt-erreichen/",
        "/umfragen/innenstadt-erreichen/ergebnisse/",
    ]
    v = visit()
    v.sign_in(planner)
    problems: dict[str, list[str]] = {}
    seen_grouped = {"de": False, "en": False}
    for language, prefix in (("de", ""), ("en", "/en")):
        for path in paths:
            response = v.page.goto(v.url(prefix + path))
            assert response is not None and response.status == 200, (language, path)
            assert v.page.evaluate("document.documentElement.lang") == language
            if v.page.locator(".mmk-map").count():
                v.page.wait_for_timeout(300)  # the maps' scripts have drawn their layers
            text = v.page.evaluate(READ)
            if wrong := wrong_numbers(text, language):
                problems[f"{language} {path}"] = wrong
            # The analysis table shows residents (thousands) grouped the page's way.
            if path == "/planung/analyse/":
                cells = v.page.locator("#district-table tbody td:nth-child(2)").all_inner_texts()
                grouped = "." if language == "de" else ","
                seen_grouped[language] = any(
                    re.fullmatch(rf"\d{{1,3}}(\{grouped}\d{{3}})+", c.strip()) for c in cells
                )
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
    assert seen_grouped == {"de": True, "en": True}, seen_grouped
