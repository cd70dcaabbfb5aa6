"""axe-core inside the page: no WCAG 2.1 A/AA or best-practice violations where people take part."""

from __future__ import annotations

import json
from typing import Any

from proposals.models import Project
from tests.e2e.conftest import SHOTS
from tests.factories import (
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
)


def test_axe_finds_no_violations_and_no_page_asks_another_host(visit: Any) -> None:
    ideas = ProjectFactory(title="Stadt.Raum.Wir.", slug="stadt-raum-wir")
    CategoryFactory(project=ideas, name="Kultur", color="#7a3e9d")
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz")
    ProposalFactory(project=ideas, title="Open-Air-Kino")
    voting = ProjectFactory(
        voting=True,
        slug="lokale-logistik",
        title="Lokale Logistik",
        results_visibility=Project.ResultsVisibility.LIVE,
    )
    option = ProposalFactory(project=voting, title="Ausprobierbox")
    VoteFactory(proposal=option)
    top = CommentFactory(proposal=option, body="Gute Lage.")
    CommentFactory(proposal=option, parent=top, body="Finde ich auch.")
    citizen = UserFactory(username="axe")

    anonymous = visit()
    signed_in = visit()
    signed_in.sign_in(citizen)
    pages: dict[str, tuple[Any, str]] = {
        "home": (anonymous, "/"),
        "project": (anonymous, ideas.get_absolute_url()),
        "project with pin form": (signed_in, ideas.get_absolute_url()),
        "project voting (list with vote buttons)": (signed_in, voting.get_absolute_url()),
        "proposal (comments, replies, vote)": (signed_in, option.get_absolute_url()),
        "proposal (anonymous)": (anonymous, option.get_absolute_url()),
        "pin form page": (signed_in, f"{ideas.get_absolute_url()}vorschlaege/neu/"),
        "login": (anonymous, "/konto/login/"),
        "registration": (anonymous, "/konto/signup/"),
        "project (English)": (anonymous, "/en" + ideas.get_absolute_url()),
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for name, (v, path) in pages.items():
        response = v.page.goto(v.url(path))
        assert response is not None and response.status == 200, name
        if v.page.locator(".mmk-map--project").count():
            v.page.wait_for_selector(".mmk-map[data-pins-loaded]")
        found[name] = v.axe()

    # The refused pin form: errors tied to their fields, focus on the summary.
    page = signed_in.page
    page.goto(signed_in.url(ideas.get_absolute_url()))
    page.get_by_role("button", name="Vorschlag einreichen").click()
    page.wait_for_selector(".error-summary")
    found["pin form with errors"] = signed_in.axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "5-pin-form-errors.png"), full_page=True)

    # The place chosen by a click, with the marker and the live message.
    page.goto(signed_in.url(ideas.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    signed_in.click_map_at(7.755, 49.437)  # a free spot: no pin there to open instead
    page.wait_for_selector('.leaflet-marker-icon[title="Ihr neuer Vorschlag"]')
    found["pin form after a map click"] = signed_in.axe()

    counts = {name: len(violations) for name, violations in found.items()}
    (SHOTS / "axe.json").write_text(json.dumps(found, indent=2, ensure_ascii=False))
    print("axe violations per page:", json.dumps(counts, indent=2))
    assert counts == dict.fromkeys(found, 0), json.dumps(
        {k: v for k, v in found.items() if v}, indent=2, ensure_ascii=False
    )
    assert anonymous.tile_requests > 0
    # The fixture checks that nothing but tiles was asked of another host.
