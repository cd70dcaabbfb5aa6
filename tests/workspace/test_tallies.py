"""Planners record and correct paper ballots in the workspace; citizens cannot."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from audit.models import AuditEntry
from proposals.models import PaperTally, VotingMode
from proposals.selectors import project_results
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def setup() -> tuple[Any, list[Any]]:
    project = ProjectFactory(voting=True, voting_mode=VotingMode.SINGLE, slug="ll")
    options = [ProposalFactory(project=project, title=t) for t in ("A-Platz", "B-Straße")]
    return project, options


def form_data(options: list[Any], votes: list[int], **extra: Any) -> dict[str, Any]:
    data = {
        "event_name": "Lautern blüht auf",
        "place": "Stiftsplatz",
        "event_date": timezone.localdate().isoformat(),
        "ballots": "10",
        "counted_by": "Team herzlich digital",
        "note": "",
        "supersedes": "",
        "correction_reason": "",
    }
    data.update({f"option_{o.pk}": str(v) for o, v in zip(options, votes, strict=True)})
    data.update(extra)
    return data


def test_citizens_and_anonymous_cannot_open_the_tally_pages(client: Any) -> None:
    setup()
    assert client.get("/planung/projekte/ll/stimmzettel/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/planung/projekte/ll/stimmzettel/").status_code == 403
    assert client.get("/planung/stimmzettel/").status_code == 403
    response = client.post("/planung/projekte/ll/stimmzettel/", {"event_name": "x"})
    assert response.status_code == 403
    assert not PaperTally.objects.exists()


def test_planner_records_ballots_that_count_in_the_results(client: Any) -> None:
    project, options = setup()
    client.force_login(planner())
    assert project.title in client.get("/planung/stimmzettel/").content.decode()
    response = client.post("/planung/projekte/ll/stimmzettel/", form_data(options, [6, 4]))
    assert response.status_code == 302
    paper = {r.proposal_id: r.paper for r in project_results(project)}
    assert paper == {options[0].pk: 6, options[1].pk: 4}
    assert AuditEntry.objects.filter(action="paper_tally.record").count() == 1


def test_more_votes_than_ballots_are_refused_with_the_reason(client: Any) -> None:
    _project, options = setup()
    client.force_login(planner())
    response = client.post("/en/planung/projekte/ll/stimmzettel/", form_data(options, [7, 4]))
    assert response.status_code == 400
    assert "11 votes are more than 10 ballots can carry (10)." in response.content.decode()
    assert not PaperTally.objects.exists()


def test_bad_numbers_are_refused_field_by_field(client: Any) -> None:
    _project, options = setup()
    client.force_login(planner())
    data = form_data(options, [-1, 0], ballots="zehn")
    response = client.post("/planung/projekte/ll/stimmzettel/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"ballots", f"option_{options[0].pk}"}
    assert not PaperTally.objects.exists()


def test_correction_supersedes_and_the_history_shows_both(client: Any) -> None:
    project, options = setup()
    client.force_login(planner())
    client.post("/planung/projekte/ll/stimmzettel/", form_data(options, [6, 4]))
    first = PaperTally.objects.get()
    refused = client.post(
        "/planung/projekte/ll/stimmzettel/", form_data(options, [5, 4], supersedes=first.pk)
    )
    assert refused.status_code == 400
    assert "correction_reason" in refused.context["form"].errors
    client.post(
        "/planung/projekte/ll/stimmzettel/",
        form_data(options, [5, 4], supersedes=first.pk, correction_reason="Nachgezählt"),
    )
    assert PaperTally.objects.count() == 2
    page = client.get("/en/planung/projekte/ll/stimmzettel/").content.decode()
    assert f"corrected by #{first.pk + 1}" in page
    assert f"corrects #{first.pk}: Nachgezählt" in page
    assert {r.proposal_id: r.paper for r in project_results(project)}[options[0].pk] == 5


def test_a_date_outside_the_voting_period_is_refused_unless_the_note_says_why(
    client: Any,
) -> None:
    project, options = setup()
    client.force_login(planner())
    url = "/planung/projekte/ll/stimmzettel/"

    future = client.post(url, form_data(options, [1, 1], event_date="2030-04-02"))
    assert future.status_code == 400
    assert list(future.context["form"].errors) == ["event_date"]
    assert "Zukunft" in future.context["form"].errors["event_date"][0]
    # Before the voting period: refused with the period named, unless the note says why.
    before = (project.voting_start - timedelta(days=30)).date().isoformat()
    early = client.post(url, form_data(options, [1, 1], event_date=before))
    assert early.status_code == 400
    assert "Abstimmungszeitraums" in early.context["form"].errors["event_date"][0]
    assert not PaperTally.objects.exists()
    explained = form_data(
        options, [1, 1], event_date=before, note="Gesammelt beim Stadtfest vor dem Start."
    )
    assert client.post(url, explained).status_code == 302
    assert PaperTally.objects.count() == 1


def test_the_same_event_twice_is_refused_unless_confirmed_as_a_separate_count(
    client: Any,
) -> None:
    project, options = setup()
    client.force_login(planner())
    url = "/planung/projekte/ll/stimmzettel/"
    assert client.post(url, form_data(options, [6, 4])).status_code == 302

    # The same sheet typed in again (the name's case and spaces differ): refused, named.
    again = form_data(options, [6, 4], event_name=" lautern BLÜHT auf ")
    response = client.post(url, again)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["separate_count"]
    assert PaperTally.objects.count() == 1
    assert {r.proposal_id: r.paper for r in project_results(project)} == {
        options[0].pk: 6,
        options[1].pk: 4,
    }
    # A second ballot box at the same event is confirmed, and then it counts.
    response = client.post(url, {**again, "separate_count": "on"})
    assert response.status_code == 302
    assert {r.proposal_id: r.paper for r in project_results(project)} == {
        options[0].pk: 12,
        options[1].pk: 8,
    }
    second = AuditEntry.objects.filter(action="paper_tally.record").latest("pk")
    assert second.after["separate_count_of"] == PaperTally.objects.order_by("pk").first().pk


def test_the_api_applies_the_same_date_and_duplicate_rules(client: Any) -> None:
    project, options = setup()
    client.force_login(planner())
    url = f"/api/v1/projects/{project.slug}/tallies/"

    def post(**extra: Any) -> Any:
        body = {
            "event_name": "Lautern blüht auf",
            "place": "Stiftsplatz",
            "event_date": timezone.localdate().isoformat(),
            "ballots": 10,
            "counted_by": "Team",
            "counts": [{"proposal": options[0].pk, "votes": 3}],
            **extra,
        }
        return client.post(url, body, content_type="application/json")

    future = post(event_date="2030-04-02")
    assert future.status_code == 400 and list(future.json()) == ["event_date"]
    assert post().status_code == 201
    twice = post()
    assert twice.status_code == 400 and list(twice.json()) == ["separate_count"]
    assert post(separate_count=True).status_code == 201
    assert PaperTally.objects.count() == 2
