"""Review workflow: every allowed transition, every refused one, the public response, e-mails."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import translation

from audit.models import AuditEntry
from proposals import review
from proposals.models import NotificationSettings, Proposal, ProposalResponse
from proposals.notifications import opt_out_token
from tests.factories import ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Proposal.Status

ALL_PAIRS = [(a, b) for a, b in itertools.product(Status.values, repeat=2) if a != b]
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in review.TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in review.TRANSITIONS[a]]


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def proposal() -> Proposal:
    project = ProjectFactory(office="Referat Stadtentwicklung")
    return ProposalFactory(project=project, author=UserFactory(email="autorin@example.org"))


def test_the_workflow_table_is_what_the_issue_asks_for() -> None:
    assert set(ALLOWED) == {
        ("submitted", "under_review"),
        ("under_review", "accepted"),
        ("under_review", "rejected"),
        ("under_review", "submitted"),
        ("accepted", "implemented"),
        ("accepted", "under_review"),
        ("rejected", "under_review"),
        ("implemented", "accepted"),
    }


@pytest.mark.parametrize(("start", "end"), ALLOWED)
def test_each_allowed_transition(
    proposal: Proposal,
    planner_user: Any,
    start: str,
    end: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Proposal.objects.filter(pk=proposal.pk).update(status=start)
    proposal.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = review.proposal_transition(
            actor=planner_user, proposal=proposal, to_status=end, response_text="  Danke!  "
        )
    proposal.refresh_from_db()
    assert proposal.status == end
    assert (response.from_status, response.to_status, response.text) == (start, end, "Danke!")
    assert response.office == "Referat Stadtentwicklung"  # the project's office signs
    assert response.responder == planner_user
    entry = AuditEntry.objects.get(action="proposal.transition", object_id=str(proposal.pk))
    assert entry.before == {"status": start}
    assert entry.after == {
        "status": end,
        "response": "Danke!",
        "office": "Referat Stadtentwicklung",
    }
    assert entry.actor == planner_user
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(("start", "end"), REFUSED)
def test_each_refused_transition_stores_nothing(
    proposal: Proposal, planner_user: Any, start: str, end: str
) -> None:
    Proposal.objects.filter(pk=proposal.pk).update(status=start)
    proposal.refresh_from_db()
    with pytest.raises(ValidationError) as info:
        review.proposal_transition(
            actor=planner_user, proposal=proposal, to_status=end, response_text="Text"
        )
    assert info.value.error_dict["to_status"][0].code == "not_allowed"
    proposal.refresh_from_db()
    assert proposal.status == start
    assert not ProposalResponse.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_transition_needs_a_response_and_an_office(planner_user: Any) -> None:
    proposal = ProposalFactory(project=ProjectFactory(office=""))
    with pytest.raises(ValidationError) as info:
        review.proposal_transition(
            actor=planner_user, proposal=proposal, to_status="under_review", response_text="  "
        )
    assert set(info.value.error_dict) == {"response_text", "office"}
    response = review.proposal_transition(
        actor=planner_user,
        proposal=proposal,
        to_status="under_review",
        response_text="Wir prüfen.",
        office="Grünflächenamt",
    )
    assert response.office == "Grünflächenamt"
    with pytest.raises(ValidationError) as info:
        review.proposal_transition(
            actor=planner_user, proposal=proposal, to_status="nonsense", response_text="x"
        )
    assert info.value.error_dict["to_status"][0].code == "invalid"


def test_citizens_cannot_review(proposal: Proposal, citizen: Any) -> None:
    with pytest.raises(PermissionDenied):
        review.proposal_transition(
            actor=citizen, proposal=proposal, to_status="under_review", response_text="x"
        )
    assert not ProposalResponse.objects.exists()


def test_the_public_include_shows_the_dated_signed_response(
    proposal: Proposal, planner_user: Any, client: Any
) -> None:
    review.proposal_transition(
        actor=planner_user,
        proposal=proposal,
        to_status="under_review",
        response_text="Wir prüfen den Standort.",
    )
    html = render_to_string("workspace/_public_review.html", {"proposal": proposal})
    assert "Wir prüfen den Standort." in html
    assert "Referat Stadtentwicklung" in html
    assert "<time datetime=" in html
    # The public page shows the new status (German by default).
    with translation.override("de"):
        page = client.get(proposal.get_absolute_url())
    assert page.status_code == 200
    assert "In Prüfung" in page.content.decode()


def test_the_author_gets_an_email_with_the_response_and_an_opt_out_link(
    proposal: Proposal, planner_user: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        review.proposal_transition(
            actor=planner_user,
            proposal=proposal,
            to_status="under_review",
            response_text="Wir prüfen den Standort.",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["autorin@example.org"]
    assert proposal.title in message.subject
    assert "Wir prüfen den Standort." in message.body
    assert "Referat Stadtentwicklung" in message.body
    token = opt_out_token(proposal.author)
    assert f"/benachrichtigungen/{token}/" in message.body

    # The link works without signing in: it shows the choice; posting turns e-mails off.
    url = f"/benachrichtigungen/{token}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 302
    assert NotificationSettings.objects.get(user=proposal.author).email_on_review is False
    assert client.get("/benachrichtigungen/forged-token/").status_code == 404


def test_no_email_when_the_author_opted_out(
    proposal: Proposal, planner_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    review.notification_settings_update(user=proposal.author, email_on_review=False)
    with django_capture_on_commit_callbacks(execute=True):
        review.proposal_transition(
            actor=planner_user, proposal=proposal, to_status="under_review", response_text="x"
        )
    assert mail.outbox == []


def test_no_email_for_a_refused_transition(
    proposal: Proposal, planner_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        review.proposal_transition(
            actor=planner_user, proposal=proposal, to_status="implemented", response_text="x"
        )
    assert mail.outbox == []


def test_signed_in_people_choose_on_their_settings_page(client: Any, citizen: Any) -> None:
    assert client.get("/benachrichtigungen/").status_code == 302  # sign in first
    client.force_login(citizen)
    assert client.get("/benachrichtigungen/").status_code == 200
    client.post("/benachrichtigungen/", {"email_on_review": "on"})
    assert NotificationSettings.objects.get(user=citizen).email_on_review is True
    client.post("/benachrichtigungen/", {})
    assert NotificationSettings.objects.get(user=citizen).email_on_review is False
