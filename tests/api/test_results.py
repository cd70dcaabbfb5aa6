"""Results, their downloads and paper tallies through the API."""

import csv
import io
import json
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from audit.models import AuditEntry
from proposals.models import PaperTally, Project, VotingMode
from proposals.services import vote_cast
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def voting_project(**kwargs) -> Project:
    """A project open for votes: the tests vote, then close it where they need it closed."""
    return ProjectFactory(voting=True, **kwargs)


def vote_many(project: Project, counts: list[int]):
    options = [ProposalFactory(project=project, title=f"Option {i}") for i in range(len(counts))]
    for option, n in zip(options, counts, strict=True):
        for _ in range(n):
            vote_cast(user=UserFactory(), proposal=option)
    return options


def close(project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(
        voting_end=timezone.now() - timedelta(seconds=1),
        voting_start=timezone.now() - timedelta(days=2),
    )


def tally_payload(options, votes, ballots=10, **extra):
    return {
        "event_name": "Lautern blüht auf",
        "place": "Stiftsplatz",
        "event_date": timezone.localdate().isoformat(),
        "ballots": ballots,
        "counted_by": "Team herzlich digital",
        "counts": [{"proposal": o.pk, "votes": v} for o, v in zip(options, votes, strict=True)],
        **extra,
    }


def test_results_stay_secret_until_voting_closes_then_are_public(client):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    vote_many(project, [2, 1])
    url = f"/api/v1/projects/{project.slug}/results/"
    assert client.get(url).status_code == 403
    close(project)
    response = client.get(url)
    assert response.status_code == 200
    data = response.json()
    assert [o["online"] for o in data["options"]] == [2, 1]
    assert data["online"] == 3 and data["paper"] == 0 and data["total"] == 3


def test_live_results_are_public_while_voting(client):
    project = voting_project(results_visibility=Project.ResultsVisibility.LIVE)
    vote_many(project, [1])
    assert client.get(f"/api/v1/projects/{project.slug}/results/").status_code == 200


def test_planners_see_results_at_any_time(client):
    project = voting_project()
    vote_many(project, [1])
    client.force_login(planner())
    assert client.get(f"/api/v1/projects/{project.slug}/results/").status_code == 200


def test_results_reveal_no_voter(client):
    project = voting_project()
    vote_many(project, [2])
    close(project)
    body = client.get(f"/api/v1/projects/{project.slug}/results/").content.decode()
    for username in project.votes.values_list("user__username", flat=True):
        assert username not in body
    assert "user" not in body


def test_tally_recorded_through_the_api_counts_in_results_and_is_audited(client):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b = vote_many(project, [3, 1])
    client.force_login(planner())
    response = client.post(
        f"/api/v1/projects/{project.slug}/tallies/",
        tally_payload([a, b], [2, 5]),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    rows = {
        o["proposal"]: o
        for o in client.get(f"/api/v1/projects/{project.slug}/results/").json()["options"]
    }
    assert (rows[a.pk]["online"], rows[a.pk]["paper"], rows[a.pk]["total"]) == (3, 2, 5)
    assert (rows[b.pk]["online"], rows[b.pk]["paper"], rows[b.pk]["total"]) == (1, 5, 6)
    assert rows[b.pk]["rank"] == 1
    assert AuditEntry.objects.filter(action="paper_tally.record").count() == 1


def test_tally_correction_through_the_api_keeps_history(client):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    (a,) = vote_many(project, [0])
    client.force_login(planner())
    url = f"/api/v1/projects/{project.slug}/tallies/"
    first = client.post(url, tally_payload([a], [4]), content_type="application/json").json()
    refused = client.post(
        url, tally_payload([a], [3], supersedes=first["id"]), content_type="application/json"
    )
    assert refused.status_code == 400
    assert "correction_reason" in refused.json()
    corrected = client.post(
        url,
        tally_payload([a], [3], supersedes=first["id"], correction_reason="Nachgezählt"),
        content_type="application/json",
    )
    assert corrected.status_code == 201
    history = client.get(url).json()
    assert [(t["id"], t["is_current"]) for t in history] == [
        (first["id"], False),
        (corrected.json()["id"], True),
    ]


@pytest.mark.parametrize(
    ("payload_change", "field"),
    [
        ({"ballots": -1}, "ballots"),
        ({"ballots": "viele"}, "ballots"),
        ({"event_date": "2. April"}, "event_date"),
        ({"counts": []}, "counts"),
        ({"counts": [{"proposal": 1, "votes": -3}]}, "counts"),
        ({"event_name": ""}, "event_name"),
    ],
)
def test_bad_tally_input_is_refused_field_by_field(client, payload_change, field):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    (a,) = vote_many(project, [0])
    client.force_login(planner())
    payload = {**tally_payload([a], [1]), **payload_change}
    response = client.post(
        f"/api/v1/projects/{project.slug}/tallies/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not PaperTally.objects.exists()


def test_more_paper_votes_than_ballots_is_refused(client):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b = vote_many(project, [0, 0])
    client.force_login(planner())
    response = client.post(
        f"/api/v1/projects/{project.slug}/tallies/",
        tally_payload([a, b], [6, 5], ballots=10),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "counts" in response.json()
    assert not PaperTally.objects.exists()


def test_citizens_cannot_see_or_record_tallies(client):
    project = voting_project()
    (a,) = vote_many(project, [0])
    client.force_login(UserFactory())
    url = f"/api/v1/projects/{project.slug}/tallies/"
    assert client.get(url).status_code == 403
    response = client.post(url, tally_payload([a], [1]), content_type="application/json")
    assert response.status_code == 403
    assert not PaperTally.objects.exists()


def test_results_csv_download(client):
    project = voting_project()
    vote_many(project, [1, 3])
    close(project)
    response = client.get(f"/api/v1/projects/{project.slug}/results.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [(r["title"], r["total"], r["rank"]) for r in rows] == [
        ("Option 1", "3", "1"),
        ("Option 0", "1", "2"),
    ]


def test_results_download_before_closing_is_for_staff_only(client):
    project = voting_project()
    vote_many(project, [1])
    url = f"/api/v1/projects/{project.slug}/results.geojson"
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(role="gis_staff"))
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_results_geojson_opens_in_gdal(live_server, tmp_path):
    project = voting_project()
    vote_many(project, [2, 1, 1])
    close(project)
    url = f"{live_server.url}/api/v1/projects/{project.slug}/results.geojson"
    out = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", url], capture_output=True, text=True, check=True
    ).stdout
    assert "Feature Count: 3" in out
    assert "total: Integer" in out
    doc = json.loads(
        subprocess.run(
            ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", url], capture_output=True, check=True
        ).stdout
    )
    assert sorted(f["properties"]["total"] for f in doc["features"]) == [1, 1, 2]


def test_results_take_one_query_whatever_the_number_of_options(client, django_assert_num_queries):
    project = voting_project()
    vote_many(project, [1] * 3)
    close(project)
    url = f"/api/v1/projects/{project.slug}/results/"
    # The project, then the whole ranking with its sums in one statement.
    with django_assert_num_queries(2):
        assert client.get(url).status_code == 200
    vote_many(project, [1] * 12)
    with django_assert_num_queries(2):
        assert len(client.get(url).json()["options"]) == 15


def test_results_are_paged_with_sums_ranks_and_ties_over_all_options(client):
    project = voting_project()
    options = vote_many(project, [5, 4, 4, 3, 1, 1, 0])
    close(project)
    url = f"/api/v1/projects/{project.slug}/results/"
    first = client.get(url, {"limit": 3}).json()
    assert [o["proposal"] for o in first["options"]] == [o.pk for o in options[:3]]
    assert [(o["rank"], o["tied"]) for o in first["options"]] == [(1, False), (2, True), (2, True)]
    assert (first["count"], first["online"], first["total"]) == (7, 18, 18)
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [(o["title"], o["rank"], o["tied"]) for o in second["options"]] == [
        ("Option 3", 4, False),
        ("Option 4", 5, True),
        ("Option 5", 5, True),
    ]
    assert second["online"] == 18  # the sums are over all options, not this page
    assert second["options"][0]["share"] == pytest.approx(3 / 18)
    last = client.get(second["next"]).json()
    assert [(o["title"], o["rank"]) for o in last["options"]] == [("Option 6", 7)]
    assert last["next"] is None
    assert client.get(last["previous"]).json()["options"] == second["options"]
    past = client.get(url, {"offset": 50}).json()
    assert past["options"] == [] and past["count"] == 7 and past["total"] == 18


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 5001}, {"offset": -1}, {"limit": "x"}])
def test_results_refuse_bad_paging_with_a_message(client, query):
    project = voting_project()
    close(project)
    response = client.get(f"/api/v1/projects/{project.slug}/results/", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_results_of_a_project_without_options_are_zero(client):
    project = voting_project()
    close(project)
    data = client.get(f"/api/v1/projects/{project.slug}/results/").json()
    assert (data["count"], data["online"], data["paper"], data["total"]) == (0, 0, 0, 0)
    assert data["options"] == []


def test_results_geojson_may_be_limited_to_the_leading_options(client):
    project = voting_project()
    options = vote_many(project, [1, 3, 2])
    close(project)
    url = f"/api/v1/projects/{project.slug}/results.geojson"
    doc = json.loads(client.get(url, {"limit": 2}).getvalue())
    assert [f["id"] for f in doc["features"]] == [options[1].pk, options[2].pk]
    assert [f["properties"]["rank"] for f in doc["features"]] == [1, 2]
    everything = json.loads(client.get(url).getvalue())
    assert len(everything["features"]) == 3
    assert client.get(url, {"limit": 0}).status_code == 400
