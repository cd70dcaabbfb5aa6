"""A planner records the festival's paper ballots in the browser; the results include them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from proposals.models import Project, VotingMode
from tests.e2e.conftest import SHOTS
from tests.factories import ProjectFactory, ProposalFactory, planner


def test_planner_records_paper_ballots_and_results_show_them(visit: Any) -> None:
    project = ProjectFactory(
        voting=True,
        voting_mode=VotingMode.SINGLE,
        title="Lokale Logistik",
        slug="lokale-logistik",
        results_visibility=Project.ResultsVisibility.LIVE,
    )
    fackel = ProposalFactory(project=project, title="Fackelstraße")
    ProposalFactory(project=project, title="Pfaff-Areal")
    v = visit()
    v.sign_in(planner())
    page = v.page
    page.goto(v.url("/planung/"))
    page.get_by_role("link", name="Stimmzettel").click()
    page.get_by_role("link", name="Lokale Logistik").click()
    page.get_by_label("Veranstaltung").fill("Lautern blüht auf")
    page.get_by_label("Ort").fill("Stiftsplatz")
    page.get_by_label("Datum").fill(timezone.localdate().isoformat())
    page.get_by_label("Abgegebene Stimmzettel").fill("12")
    page.get_by_label("Fackelstraße").fill("7")
    page.get_by_label("Pfaff-Areal").fill("5")
    page.get_by_label("Ausgezählt von").fill("Team herzlich digital")
    assert v.axe() == []
    page.get_by_role("button", name="Stimmzettel erfassen").click()
    page.wait_for_selector(f"#tally-{project.paper_tallies.get().pk}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tallies.png"), full_page=True)

    page.goto(v.url(project.get_absolute_url()))
    row = page.locator(".results__table tbody tr", has_text="Fackelstraße")
    cells = row.locator("td.num").all_inner_texts()
    assert cells == ["0", "7", "7"]  # online, paper, total
    assert fackel.paper_counts.get().votes == 7
