"""A planner works through the Kaiserslautern demo in the browser, signed in like a person.

The demo data set is loaded as `make run` loads it; the planner signs in through the login
form, reviews a citizen's idea with a signed response, looks at the analysis, records the
festival's paper ballots for "Lokale Logistik", and sees them in the public results.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from proposals.management.commands.load_demo import DEFAULT_DEMO_PASSWORD
from proposals.models import PaperTally, Project, Proposal
from tests.e2e.conftest import SHOTS


def test_planner_works_through_the_demo(visit: Any) -> None:
    call_command("load_demo", stdout=io.StringIO())
    ideas = Project.objects.get(slug="stadt-raum-wir")
    logistics = Project.objects.get(slug="lokale-logistik")
    idea = Proposal.objects.filter(project=ideas).order_by("pk").first()
    assert idea is not None
    options = list(Proposal.objects.filter(project=logistics).order_by("title"))
    published = Proposal.objects.filter(visibility=Proposal.Visibility.PUBLISHED).count()

    v = visit()
    page = v.page
    page.goto(v.url("/konto/login/"))
    page.fill("input[name=login]", "planung")
    page.fill("input[name=password]", DEFAULT_DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.get_by_role("link", name="Arbeitsbereich").click()

    # Every proposal of both projects on the map and in the table.
    page.wait_for_selector(".mmk-map--workspace[data-loaded]")
    assert page.get_attribute(".mmk-map--workspace", "data-loaded") == str(published)
    assert page.locator("table.ws-table tbody tr").count() == published

    # Review one idea: under review, with a response signed by the project's office.
    page.goto(v.url(f"/planung/vorschlaege/{idea.pk}/"))
    page.select_option("#id_to_status", "under_review")
    page.fill("#id_response_text", "Wir prüfen die Idee mit dem Ordnungsamt.")
    page.click("form[action$='/status/'] button[type=submit]")
    page.wait_for_selector(".messages")
    page.goto(v.url(idea.get_absolute_url()))
    public = page.inner_text("main")
    assert "Wir prüfen die Idee mit dem Ordnungsamt." in public
    assert ideas.office and ideas.office in public

    # The analysis: the downtown district has the ideas, counted by PostGIS.
    page.goto(v.url("/planung/analyse/"))
    innenstadt = page.locator("tr[data-district='innenstadt'] td.num").all_inner_texts()
    assert int(innenstadt[1]) > 0

    # The festival's paper ballots for the Ausprobierbox, then the public results.
    page.goto(v.url("/planung/stimmzettel/"))
    page.get_by_role("link", name="Lokale Logistik").click()
    page.get_by_label("Veranstaltung").fill("Lautern blüht auf (Demo)")
    assert logistics.voting_start is not None
    # A day of the voting period (the service refuses dates outside it).
    page.get_by_label("Datum").fill(timezone.localdate(logistics.voting_start).isoformat())
    page.get_by_label("Abgegebene Stimmzettel").fill("9")
    for option, votes in zip(options, (4, 3, 2, 0), strict=False):
        page.get_by_label(option.title, exact=True).fill(str(votes))
    page.get_by_label("Ausgezählt von").fill("Team herzlich digital")
    page.get_by_role("button", name="Stimmzettel erfassen").click()
    page.wait_for_selector(".messages")
    assert PaperTally.objects.filter(event_name="Lautern blüht auf (Demo)").exists()

    page.goto(v.url(logistics.get_absolute_url()))
    row = page.locator(".results__table tbody tr", has_text=options[0].title)
    online, paper, total = (int(n) for n in row.locator("td.num").all_inner_texts())
    assert paper >= 4 and total == online + paper
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "demo-results.png"), full_page=True)
