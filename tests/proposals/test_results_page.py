"""Results on the project page: when they are public, what they show, and nothing more."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from proposals.models import Project, VotingMode
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


def test_results_add_a_constant_number_of_queries(client, django_assert_max_num_queries):
    project, *_ = voted_project()
    close(project)
    client.get(project.get_absolute_url())
    with django_assert_max_num_queries(8) as few:
        client.get(project.get_absolute_url())
    for i in range(10):
        vote_cast_option = ProposalFactory(project=project, title=f"Option {i}")
        assert vote_cast_option.pk
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(project.get_absolute_url())
