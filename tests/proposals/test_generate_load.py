"""Synthetic load: the asked numbers, inside the perimeter, within the voting rules."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import translation

from proposals.models import Proposal, Vote, VotingMode
from tests.factories import CategoryFactory, ProjectFactory, ProposalFactory

pytestmark = pytest.mark.django_db

# A triangle, so "inside the bounding box" and "inside the perimeter" differ.
TRIANGLE = MultiPolygon(
    Polygon(((7.74, 49.43), (7.79, 49.43), (7.74, 49.45), (7.74, 49.43))), srid=4326
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_load", *args, stdout=out)
    return out.getvalue()


def test_makes_the_asked_numbers_inside_the_perimeter():
    project = ProjectFactory(slug="last", perimeter=TRIANGLE)
    categories = {CategoryFactory(project=project).pk, CategoryFactory(project=project).pk}
    out = generate("--project", "last", "--proposals", "300", "--votes", "2000", "--seed", "7")
    assert "300 proposals and 2000 votes" in out

    proposals = Proposal.objects.filter(project=project)
    assert proposals.count() == 300
    assert proposals.filter(visibility=Proposal.Visibility.PUBLISHED).count() == 300
    assert proposals.filter(location__coveredby=TRIANGLE).count() == 300
    # The points are spread, not piled up: each half of the triangle's bbox gets some.
    west = proposals.filter(location__coveredby=MultiPolygon(
        Polygon.from_bbox((7.74, 49.43, 7.755, 49.45)), srid=4326)).count()  # fmt: skip
    assert 0 < west < 300
    assert set(proposals.values_list("category", flat=True)) <= categories
    assert proposals.filter(category__isnull=False).count() == 300

    votes = Vote.objects.filter(project=project)
    assert votes.count() == 2000
    assert votes.values("user", "proposal").distinct().count() == 2000
    assert votes.filter(proposal__project=project).count() == 2000
    per_user = votes.values("user").annotate(n=Count("pk")).values_list("n", flat=True)
    assert max(per_user) <= 20  # the default cap in support mode

    users = get_user_model().objects.filter(username__startswith="load-user-")
    assert users.count() == 100  # 2000 votes / 20 per user
    assert not any(u.has_usable_password() for u in users)


def test_single_choice_projects_get_one_vote_per_user():
    project = ProjectFactory(slug="wahl", voting_mode=VotingMode.SINGLE)
    generate("--project", "wahl", "--proposals", "5", "--votes", "40")
    per_user = Vote.objects.filter(project=project).values("user").annotate(n=Count("pk"))
    assert len(per_user) == 40
    assert {row["n"] for row in per_user} == {1}


def test_votes_for_existing_proposals_and_a_second_run_adds_more():
    project = ProjectFactory(slug="bestand")
    existing = ProposalFactory(project=project)
    ProposalFactory(project=project, visibility=Proposal.Visibility.HIDDEN)
    generate("--project", "bestand", "--votes", "3")
    votes = Vote.objects.filter(project=project)
    assert votes.count() == 3
    assert set(votes.values_list("proposal", flat=True)) == {existing.pk}  # never the hidden one
    generate("--project", "bestand", "--proposals", "10", "--votes", "30")
    assert Proposal.objects.filter(project=project).count() == 12
    assert votes.count() > 3


def test_refusals_are_clean():
    with pytest.raises(CommandError, match="no project"):
        generate("--project", "nope", "--proposals", "1")
    ProjectFactory(slug="leer")
    with pytest.raises(CommandError, match="no published proposals"):
        generate("--project", "leer", "--votes", "5")
    assert Vote.objects.count() == 0
