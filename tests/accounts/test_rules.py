"""Only accounts with a confirmed e-mail address write: pins, comments, votes, reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import translation

from accounts.selectors import email_confirmed
from proposals import rules
from proposals.models import Comment, Proposal, Vote
from proposals.services import comment_create, proposal_create, vote_cast
from tests.factories import INSIDE, ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db
REASON = "Please confirm your e-mail address first."


def refusal(call: Any) -> str:
    with pytest.raises(PermissionDenied) as info, translation.override("en"):
        call()
    return str(info.value)


def test_services_refuse_an_unconfirmed_account(unconfirmed: Any) -> None:
    ideas = ProjectFactory()
    voting = ProposalFactory(project=ProjectFactory(voting=True))
    published = ProposalFactory(project=ideas)

    assert (
        refusal(
            lambda: proposal_create(
                author=unconfirmed, project=ideas, title="Bank", location=INSIDE
            )
        )
        == REASON
    )
    assert refusal(lambda: comment_create(author=unconfirmed, proposal=published, body="Ja")) == (
        REASON
    )
    assert refusal(lambda: vote_cast(user=unconfirmed, proposal=voting)) == REASON
    assert not rules.may_report(unconfirmed, published)
    assert Proposal.objects.filter(author=unconfirmed).count() == 0
    assert Comment.objects.count() == 0 and Vote.objects.count() == 0


def test_the_reason_is_german_by_default(unconfirmed: Any) -> None:
    with translation.override("de"):
        assert rules.may_comment.reason(unconfirmed, ProposalFactory()) == (
            "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse."
        )


def test_confirmed_accounts_write(citizen: Any) -> None:
    ideas = ProjectFactory()
    proposal = proposal_create(author=citizen, project=ideas, title="Bank", location=INSIDE)
    comment_create(author=citizen, proposal=proposal, body="Ja")
    vote_cast(user=citizen, proposal=ProposalFactory(project=ProjectFactory(voting=True)))
    assert Vote.objects.filter(user=citizen).count() == 1


def test_an_unconfirmed_second_address_does_not_matter(citizen: Any) -> None:
    EmailAddress.objects.create(user=citizen, email="zweite@example.org", verified=False)
    assert email_confirmed(get_user_model().objects.get(pk=citizen.pk))


def test_superusers_without_address_records_count_as_confirmed(db: Any) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    assert not EmailAddress.objects.filter(user=admin).exists()
    assert email_confirmed(admin)
    assert not email_confirmed(UserFactory(username="staff", is_staff=True, email_verified=False))


def test_the_check_is_one_query_per_user_object(
    unconfirmed: Any, django_assert_num_queries: Any
) -> None:
    proposal = ProposalFactory()
    with django_assert_num_queries(1):
        for _ in range(5):
            assert not rules.may_comment(unconfirmed, proposal)
            assert not rules.may_add_proposal(unconfirmed, proposal.project)


def api_post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(
        url, json.dumps(data), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_api_refuses_an_unconfirmed_account_with_403(client: Any, unconfirmed: Any) -> None:
    ideas = ProjectFactory()
    published = ProposalFactory(project=ideas)
    voting = ProposalFactory(project=ProjectFactory(voting=True))
    client.force_login(unconfirmed)
    pin = {
        "project": ideas.slug,
        "title": "Bank",
        "location": {"type": "Point", "coordinates": [INSIDE.x, INSIDE.y]},
    }
    for url, data in [
        ("/api/v1/proposals/", pin),
        ("/api/v1/comments/", {"proposal": published.pk, "body": "Ja"}),
        ("/api/v1/votes/", {"proposal": voting.pk}),
    ]:
        response = api_post(client, url, data)
        assert response.status_code == 403, (url, response.content)
        assert response.json() == {"detail": REASON}
    assert Proposal.objects.filter(author=unconfirmed).count() == 0
    assert Comment.objects.count() == 0 and Vote.objects.count() == 0


def test_the_api_accepts_a_confirmed_account(client: Any, citizen: Any) -> None:
    voting = ProposalFactory(project=ProjectFactory(voting=True))
    client.force_login(citizen)
    assert api_post(client, "/api/v1/votes/", {"proposal": voting.pk}).status_code == 201
