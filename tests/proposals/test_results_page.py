"""Results on the project page: when they are public, what they show, and nothing more."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from proposals.models import Project, Proposal, VotingMode
from proposals.services import tally_record, vote_cast
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def voted_project(**kwargs):
    project = ProjectFactory(voting=True, voting_mode=VotingMode.SINGLE, **kwargs)
    a = ProposalFactory(project=project, title="Fackelstraße")
    b = ProposalFactory(project=project, title="Pfaff-Areal")
    voters = [UserFactory(email=f"voter{i}@example.org") for i in range(3)]
    vote_cast(user=voters[0], proposal=a)
    vote_cast(user=voters[1], proposal=a)
    vote_cast(user=voters[2], proposal=b)
    return project, a, b, voters


def close(project):
    Project.objects.filter(pk=project.pk).update(
        voting_start=timezone.now() - timedelta(days=3),
        voting_end=timezone.now() - timedelta(seconds=1),
    )


def test_results_appear_only_after_closing_when_the_project_says_so(client):
    project, *_ = voted_project()
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'id="results-heading"' not in page
    close(project)
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'id="results-heading"' in page
    assert "3 votes in all: 3 online and 0 on paper." in page


def test_live_results_show_interim_results_while_voting(client):
    project, *_ = voted_project(results_visibility=Project.ResultsVisibility.LIVE)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "these are interim results" in page


def test_results_sum_paper_and_online_and_mark_ties(client):
    project, a, b, _ = voted_project()
    tally_record(
        actor=planner(),
        project=project,
        event_name="Lautern blüht auf",
        place="Stiftsplatz",
        event_date=timezone.localdate(),
        ballots=5,
        counted_by="Team",
        counts={a.pk: 1, b.pk: 2},
    )
    close(project)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "6 votes in all: 3 online and 3 on paper." in page
    assert page.count("(tie)") == 2  # 3 : 3
    assert "Lautern blüht auf, Stiftsplatz" in page
    assert "5 ballots" in page
    assert "mmk-map--results" in page


def test_results_never_name_voters(client):
    project, _a, _b, voters = voted_project()
    close(project)
    page = client.get(project.get_absolute_url()).content.decode()
    for voter in voters:
        assert voter.username not in page
        assert voter.email not in page


def many_options(project, n):
    """`n` more options with a vote each (bulk: the page's cost, not the factories', is tested)."""
    template = ProposalFactory.build(project=project)
    Proposal.objects.bulk_create(
        Proposal(
            project=project,
            title=f"Bulk {i:04d}",
            location=template.location,
            author=None,
            visibility=Proposal.Visibility.PUBLISHED,
        )
        for i in range(n)
    )


def results_section(page: str) -> str:
    start = page.index('<section aria-labelledby="results-heading"')
    return page[start : page.index("</section>", start)]


def test_results_block_stays_small_however_many_options(client):
    project, *_ = voted_project()
    many_options(project, 60)
    close(project)
    few = results_section(client.get(project.get_absolute_url()).content.decode())
    many_options(project, 540)
    page = client.get(project.get_absolute_url()).content.decode()
    many = results_section(page)
    assert len(many) < 6000
    assert abs(len(many) - len(few)) < 50  # only the number of options in the link changes
    assert many.count("<tr>") == 1 + 10  # the head and the leading ten
    assert "Fackelstraße" in many and "Bulk 0599" not in many
    assert "The whole ranking of all 602 options" in many
    # The map gets its circles from the API: the page holds its configuration, not the options.
    config = json.loads(
        page.split('id="results-map-config" type="application/json">')[1].split("<")[0]
    )
    assert config["data_url"].startswith(f"/api/v1/projects/{project.slug}/results.geojson?limit=")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert scripts and not any("Bulk" in script for script in scripts)


def test_results_page_queries_do_not_grow_with_options(client, django_assert_num_queries):
    project, *_ = voted_project()
    close(project)
    # The project's phase fields and data version (what a kept page is looked up by), the
    # project, categories, results with sums, its proposals (the page; the ranking counted
    # them), sites, tallies.
    with django_assert_num_queries(7):
        client.get(project.get_absolute_url())
    many_options(project, 120)  # new data: the page kept for visitors is not the one to show
    with django_assert_num_queries(7):
        assert client.get(project.get_absolute_url()).status_code == 200


def test_the_list_is_counted_by_the_ranking_only_where_they_count_the_same(client):
    """Not signed in and unfiltered, the list shows the ranking's options: one count serves
    both. A signed-in author also sees their own pending proposal, so the list counts itself."""
    project, a, *_ = voted_project()
    many_options(project, 60)  # 62 published: two pages of the list
    author = UserFactory()
    ProposalFactory(project=project, author=author, visibility=Proposal.Visibility.PENDING)
    ProposalFactory(project=project, visibility=Proposal.Visibility.HIDDEN)
    close(project)

    Proposal.objects.filter(pk=a.pk).update(status=Proposal.Status.ACCEPTED)

    anonymous = client.get(project.get_absolute_url()).content.decode()
    filtered = client.get(project.get_absolute_url(), {"status": "accepted"}).content.decode()
    client.force_login(author)
    signed_in = client.get(project.get_absolute_url()).content.decode()

    assert "62 proposals" in anonymous and "Page 1 of 2" in anonymous
    assert "1 proposal" in filtered and "62 proposals" not in filtered
    assert "63 proposals" in signed_in  # with their own pending one


def test_whole_ranking_is_paged(client):
    project, *_ = voted_project()
    many_options(project, 150)
    url = reverse("proposals:project-results", kwargs={"slug": project.slug})
    assert client.get(url).status_code == 403  # not public while voting
    close(project)
    first = client.get(url).content.decode()
    assert "Page 1 of 2" in first
    assert first.count("<tr>") == 1 + 100
    assert "152 votes in all" not in first and "3 votes in all: 3 online and 0 on paper." in first
    assert first.index("Fackelstraße") < first.index("Pfaff-Areal") < first.index("Bulk 0000")
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count("<tr>") == 1 + 52
    assert "Bulk 0149" in second and "Fackelstraße" not in second
    # Beyond the end or nonsense: the nearest page, never an error.
    assert "Page 2 of 2" in client.get(url, {"page": 99}).content.decode()
    assert "Page 1 of 2" in client.get(url, {"page": "x"}).content.decode()
