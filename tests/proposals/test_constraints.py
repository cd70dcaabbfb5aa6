"""Rules the database itself holds, whatever code writes."""

from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import IntegrityError, transaction

from proposals.models import Project, Vote
from tests.factories import ProjectFactory, ProposalFactory, SiteFactory, UserFactory, VoteFactory

pytestmark = pytest.mark.django_db


def test_double_vote_is_refused_by_the_database():
    vote = VoteFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(project=vote.project, proposal=vote.proposal, user=vote.user)
    assert Vote.objects.count() == 1


def test_two_people_may_vote_for_the_same_proposal():
    proposal = ProposalFactory()
    VoteFactory(proposal=proposal, user=UserFactory())
    VoteFactory(proposal=proposal, user=UserFactory())
    assert proposal.votes.count() == 2


def test_self_intersecting_perimeter_is_refused_by_the_database():
    bowtie = MultiPolygon(
        Polygon(((7.74, 49.43), (7.79, 49.45), (7.79, 49.43), (7.74, 49.45), (7.74, 49.43))),
        srid=4326,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(perimeter=bowtie)
    assert not Project.objects.exists()


def test_voting_window_must_end_after_it_starts():
    project = ProjectFactory.build(voting=True)
    project.voting_end = project.voting_start - timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_budget_mode_needs_a_budget_at_least_as_large_as_the_cap():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(voting_mode="budget", votes_per_person=2, max_votes_per_option=3)


def test_site_point_must_lie_in_its_outline():
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(outline=MultiPolygon(Polygon.from_bbox((7.0, 49.0, 7.1, 49.1)), srid=4326))
