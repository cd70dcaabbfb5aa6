"""The results in a real browser: the table, the circles on the results map, accessibility."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from proposals.models import Project, VotingMode
from proposals.services import tally_record, vote_cast
from tests.e2e.conftest import SHOTS
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, planner


def test_closed_project_shows_results_table_and_map(visit: Any) -> None:
    project = ProjectFactory(voting=True, voting_mode=VotingMode.SINGLE, title="Lokale Logistik")
    options = [
        ProposalFactory(project=project, title=title, location=point)
        for title, point in [
            ("Fackelstraße", "SRID=4326;POINT(7.7702 49.4437)"),
            ("Pfaff-Areal", "SRID=4326;POINT(7.7578 49.4405)"),
            ("Kerststraße", "SRID=4326;POINT(7.7665 49.4431)"),
        ]
    ]
    for option, n in zip(options, (3, 1, 0), strict=True):
        for _ in range(n):
            vote_cast(user=UserFactory(), proposal=option)
    tally_record(
        actor=planner(),
        project=project,
        event_name="Lautern blüht auf",
        event_date=timezone.localdate(),
        ballots=4,
        counted_by="Team",
        counts={options[1].pk: 2, options[2].pk: 2},
    )
    Project.objects.filter(pk=project.pk).update(
        voting_start=timezone.now() - timedelta(days=5),
        voting_end=timezone.now() - timedelta(minutes=1),
    )

    v = visit()
    v.page.goto(v.url(project.get_absolute_url()))
    table = v.page.locator(".results__table tbody tr")
    assert table.count() == 3
    assert table.nth(0).locator("th").inner_text() == "Fackelstraße"
    # One circle per option on the results map, the winner's the largest.
    circles = v.page.locator(".mmk-map--results path.leaflet-interactive")
    circles.first.wait_for()
    assert circles.count() == 3
    radii = v.page.evaluate(
        """() => [...document.querySelectorAll('.mmk-map--results path.leaflet-interactive')]
            .map(p => p.getBBox().width)"""
    )
    assert max(radii) > min(radii)
    SHOTS.mkdir(parents=True, exist_ok=True)
    v.page.screenshot(path=str(SHOTS / "results.png"), full_page=True)
    assert v.axe() == []
