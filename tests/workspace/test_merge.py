"""Merging duplicates keeps every person's support once; linking; refusals store nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditEntry
from proposals import review
from proposals.models import Proposal, Vote, VotingMode
from proposals.services import tally_record
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, VoteFactory

pytestmark = pytest.mark.django_db


def test_a_person_who_voted_for_both_counts_once(planner_user: Any, client: Any) -> None:
    project = ProjectFactory(voting=True)
    source = ProposalFactory(project=project, title="Bank am Platz")
    target = ProposalFactory(project=project, title="Sitzbank am Platz")
    both, only_source, only_target = UserFactory(), UserFactory(), UserFactory()
    for user in (both, only_source):
        VoteFactory(proposal=source, user=user)
    for user in (both, only_target):
        VoteFactory(proposal=target, user=user)
    distinct_voters = Vote.objects.values("user").distinct().count()

    result = review.proposal_merge(actor=planner_user, source=source, target=target)

    assert (result.moved, result.combined) == (1, 1)
    votes = Vote.objects.filter(proposal=target)
    assert sorted(votes.values_list("user", flat=True)) == sorted(
        u.pk for u in (both, only_source, only_target)
    )
    assert set(votes.values_list("weight", flat=True)) == {1}
    assert votes.aggregate(n=Sum("weight"))["n"] == distinct_voters == 3
    assert not Vote.objects.filter(proposal=source).exists()

    source.refresh_from_db()
    assert source.merged_into == target
    assert source.visibility == Proposal.Visibility.HIDDEN
    # Gone from the lists, but its page stays and leads to the target.
    api = json.loads(client.get(f"/api/v1/proposals/?project={project.slug}").content)
    assert {f["id"] for f in api["features"]} == {target.pk}
    assert client.get(source.get_absolute_url()).status_code == 200

    entry = AuditEntry.objects.get(action="proposal.merge")
    assert entry.before["merged_into"] is None
    assert entry.after["merged_into"] == target.pk
    assert (entry.after["votes_moved"], entry.after["voters_combined"]) == (1, 1)


def test_budget_votes_add_up_to_the_per_option_cap(planner_user: Any) -> None:
    project = ProjectFactory(
        voting=True, voting_mode=VotingMode.BUDGET, votes_per_person=5, max_votes_per_option=3
    )
    source = ProposalFactory(project=project)
    target = ProposalFactory(project=project)
    a, b = UserFactory(), UserFactory()
    VoteFactory(proposal=source, user=a, weight=2)
    VoteFactory(proposal=target, user=a, weight=2)  # 2 + 2 > 3: capped at 3
    VoteFactory(proposal=source, user=b, weight=1)
    VoteFactory(proposal=target, user=b, weight=1)  # 1 + 1 = 2

    review.proposal_merge(actor=planner_user, source=source, target=target)

    assert dict(Vote.objects.filter(proposal=target).values_list("user", "weight")) == {
        a.pk: 3,
        b.pk: 2,
    }


def test_merges_that_are_refused_change_nothing(planner_user: Any, citizen: Any) -> None:
    project = ProjectFactory(voting=True)
    source = ProposalFactory(project=project)
    target = ProposalFactory(project=project)
    elsewhere = ProposalFactory()
    VoteFactory(proposal=source)
    with pytest.raises(PermissionDenied):
        review.proposal_merge(actor=citizen, source=source, target=target)
    with pytest.raises(PermissionDenied):
        review.proposal_merge(actor=planner_user, source=source, target=elsewhere)
    with pytest.raises(PermissionDenied):
        review.proposal_merge(actor=planner_user, source=source, target=source)
    assert Vote.objects.get().proposal_id == source.pk
    assert not AuditEntry.objects.exists()

    review.proposal_merge(actor=planner_user, source=source, target=target)
    third = ProposalFactory(project=project)
    source.refresh_from_db()
    with pytest.raises(PermissionDenied):  # already merged
        review.proposal_merge(actor=planner_user, source=source, target=third)
    with pytest.raises(ValidationError):  # a merged proposal is not restored
        review.proposal_moderate(actor=planner_user, proposal=source, action="restore")
    with pytest.raises(PermissionDenied):  # nor reviewed
        review.proposal_transition(
            actor=planner_user, proposal=source, to_status="under_review", response_text="x"
        )


def test_proposals_with_paper_votes_are_not_merged(planner_user: Any) -> None:
    project = ProjectFactory(voting=True)
    source = ProposalFactory(project=project)
    target = ProposalFactory(project=project)
    tally_record(
        actor=planner_user,
        project=project,
        event_name="Straßenfest",
        event_date=timezone.localdate(),
        ballots=10,
        counted_by="Team",
        counts={source.pk: 4, target.pk: 3},
    )
    with pytest.raises(ValidationError) as info:
        review.proposal_merge(actor=planner_user, source=source, target=target)
    assert info.value.error_dict["source"][0].code == "paper_votes"
    source.refresh_from_db()
    assert source.merged_into is None


def test_link_and_unlink(planner_user: Any) -> None:
    project = ProjectFactory()
    a = ProposalFactory(project=project)
    b = ProposalFactory(project=project)
    review.proposal_link(actor=planner_user, proposal=a, other=b)
    assert list(b.related.all()) == [a]  # symmetrical
    review.proposal_link(actor=planner_user, proposal=a, other=b, linked=False)
    assert not a.related.exists()
    with pytest.raises(ValidationError):
        review.proposal_link(actor=planner_user, proposal=a, other=a)
    with pytest.raises(ValidationError):
        review.proposal_link(actor=planner_user, proposal=a, other=ProposalFactory())
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "before", "after")) == [
        ("proposal.link", {"related": []}, {"related": [b.pk]}),
        ("proposal.unlink", {"related": [b.pk]}, {"related": []}),
    ]


def test_merge_from_the_duplicates_table(client: Any, planner_user: Any) -> None:
    project = ProjectFactory(voting=True)
    source = ProposalFactory(project=project, title="Trinkbrunnen am Markt")
    target = ProposalFactory(project=project, title="Trinkbrunnen am Marktplatz")
    client.force_login(planner_user)
    page = client.get("/planung/analyse/", {"project": project.slug}).content.decode()
    # The pair is listed (lower number first) with a button merging the second into the first.
    assert f'action="/planung/vorschlaege/{target.pk}/zusammenfuehren/"' in page
    assert f'name="target" value="{source.pk}"' in page
    response = client.post(
        f"/planung/vorschlaege/{source.pk}/zusammenfuehren/", {"target": target.pk}
    )
    assert response.status_code == 302
    assert Proposal.objects.get(pk=source.pk).merged_into_id == target.pk
    bad = client.post(f"/planung/vorschlaege/{target.pk}/zusammenfuehren/", {"target": 999999})
    assert bad.status_code == 400
