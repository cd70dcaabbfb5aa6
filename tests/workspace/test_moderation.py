"""Moderation: hiding and restoring reach the public pages, the REST API and OGC; reports; audit."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation

from audit.models import AuditEntry
from proposals import review
from proposals.models import Comment, Project, Proposal, Report
from proposals.services import tally_record
from tests.factories import CommentFactory, ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def public_ids(client: Any, project: Project) -> dict[str, set[int]]:
    """Where the public sees proposals: the REST API, OGC API Features, the project page."""
    api = json.loads(client.get(f"/api/v1/proposals/?project={project.slug}").content)
    ogc = json.loads(client.get("/ogc/collections/proposals/items?f=json").content)
    page = client.get(project.get_absolute_url()).content.decode()
    return {
        "api": {f["id"] for f in api["features"]},
        "ogc": {int(f["id"]) for f in ogc["features"]},
        "page": {p.pk for p in Proposal.objects.all() if f"/vorschlaege/{p.pk}/" in page},
    }


def test_hide_removes_a_proposal_everywhere_public_and_restore_brings_it_back(
    client: Any, planner_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    author = UserFactory(email="a@example.org")
    project = ProjectFactory()
    kept = ProposalFactory(project=project)
    spam = ProposalFactory(project=project, author=author, title="Billig Uhren")
    assert public_ids(client, project) == {k: {kept.pk, spam.pk} for k in ("api", "ogc", "page")}

    with django_capture_on_commit_callbacks(execute=True):
        review.proposal_moderate(actor=planner_user, proposal=spam, action="hide", reason="Werbung")

    assert public_ids(client, project) == {k: {kept.pk} for k in ("api", "ogc", "page")}
    assert client.get(spam.get_absolute_url()).status_code == 404
    # The author still reaches the page, and the include tells them why.
    client.force_login(author)
    assert client.get(spam.get_absolute_url()).status_code == 200
    spam.refresh_from_db()
    note = render_to_string("workspace/_public_review.html", {"proposal": spam, "user": author})
    assert "Werbung" in note
    other = render_to_string(
        "workspace/_public_review.html", {"proposal": spam, "user": UserFactory()}
    )
    assert "Werbung" not in other
    assert len(mail.outbox) == 1 and "Werbung" in mail.outbox[0].body
    client.logout()

    review.proposal_moderate(actor=planner_user, proposal=spam, action="restore")
    assert public_ids(client, project) == {k: {kept.pk, spam.pk} for k in ("api", "ogc", "page")}

    entries = list(AuditEntry.objects.filter(object_id=str(spam.pk)).order_by("pk"))
    assert [e.action for e in entries] == ["proposal.hide", "proposal.restore"]
    assert entries[0].before == {"visibility": "published", "moderation_reason": ""}
    assert entries[0].after == {
        "visibility": "hidden",
        "moderation_reason": "Werbung",
        "reports_resolved": 0,
    }
    assert entries[0].reason == "Werbung"
    assert entries[1].after["visibility"] == "published"


def test_hiding_needs_a_reason_and_a_planner(planner_user: Any, citizen: Any) -> None:
    proposal = ProposalFactory()
    with pytest.raises(ValidationError) as info:
        review.proposal_moderate(actor=planner_user, proposal=proposal, action="hide", reason=" ")
    assert "reason" in info.value.error_dict
    with pytest.raises(PermissionDenied):
        review.proposal_moderate(actor=citizen, proposal=proposal, action="hide", reason="x")
    with pytest.raises(ValidationError):
        review.proposal_moderate(actor=planner_user, proposal=proposal, action="restore")
    proposal.refresh_from_db()
    assert proposal.visibility == Proposal.Visibility.PUBLISHED
    assert not AuditEntry.objects.exists()


def test_approving_a_pre_moderated_proposal_publishes_it(
    client: Any, planner_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    waiting = ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING)
    client.force_login(planner_user)
    queue = client.get("/planung/moderation/").content.decode()
    assert f"/planung/vorschlaege/{waiting.pk}/" in queue
    client.logout()
    assert public_ids(client, project)["api"] == set()

    with django_capture_on_commit_callbacks(execute=True):
        review.proposal_moderate(actor=planner_user, proposal=waiting, action="approve")

    assert public_ids(client, project) == {k: {waiting.pk} for k in ("api", "ogc", "page")}
    assert len(mail.outbox) == 1  # "your proposal is public"
    assert AuditEntry.objects.get(action="proposal.approve").before["visibility"] == "pending"


def test_comment_hide_and_restore(
    client: Any, planner_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    proposal = ProposalFactory()
    rude = CommentFactory(proposal=proposal, body="Unverschämter Kommentar", author=UserFactory())
    api = f"/api/v1/comments/?proposal={proposal.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        review.comment_moderate(
            actor=planner_user, comment=rude, action="hide", reason="Beleidigung"
        )

    assert "Unverschämter" not in client.get(proposal.get_absolute_url()).content.decode()
    assert "Unverschämter" not in client.get(api).content.decode()
    assert len(mail.outbox) == 1
    assert "Beleidigung" in mail.outbox[0].body and mail.outbox[0].to == [rude.author.email]

    review.comment_moderate(actor=planner_user, comment=rude, action="restore")
    assert "Unverschämter" in client.get(proposal.get_absolute_url()).content.decode()
    assert "Unverschämter" in client.get(api).content.decode()
    rude.refresh_from_db()
    assert (rude.is_hidden, rude.moderation_reason) == (False, "")
    actions = list(
        AuditEntry.objects.filter(object_type="proposals.comment").values_list("action", flat=True)
    )
    assert sorted(actions) == ["comment.hide", "comment.restore"]


def test_reports_once_per_person_and_object_resolved_by_the_decision(
    citizen: Any, other_citizen: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory()
    comment = CommentFactory(proposal=proposal)
    first = review.report_create(reporter=citizen, proposal=proposal, reason="Werbung")
    review.report_create(reporter=other_citizen, proposal=proposal, reason="Spam")
    review.report_create(reporter=citizen, comment=comment, reason="Beleidigend")
    with pytest.raises(ValidationError) as info:
        review.report_create(reporter=citizen, proposal=proposal, reason="nochmal")
    assert info.value.error_dict["reason"][0].code == "duplicate"
    with pytest.raises(ValidationError):
        review.report_create(reporter=citizen, proposal=proposal, comment=comment, reason="x")

    review.proposal_moderate(actor=planner_user, proposal=proposal, action="approve")

    first.refresh_from_db()
    assert first.outcome == Report.Outcome.KEPT and first.resolved_by == planner_user
    assert Report.objects.filter(proposal=proposal, resolved_at__isnull=True).count() == 0
    assert Report.objects.get(comment=comment).resolved_at is None  # a separate object
    entry = AuditEntry.objects.get(action="proposal.approve")
    assert entry.after["reports_resolved"] == 2
    # Once resolved, the same person may report it again.
    review.report_create(reporter=citizen, proposal=proposal, reason="Wieder Werbung")


def test_reports_are_rate_limited(client: Any, citizen: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reports": "2/1000d"}  # no window edge
    proposals = ProposalFactory.create_batch(3)
    client.force_login(citizen)
    statuses = [
        client.post(f"/melden/vorschlag/{p.pk}/", {"reason": "Werbung"}).status_code
        for p in proposals
    ]
    assert statuses == [302, 302, 429]
    assert Report.objects.filter(reporter=citizen).count() == 2


def test_report_pages(client: Any, citizen: Any) -> None:
    proposal = ProposalFactory()
    comment = CommentFactory(proposal=proposal)
    url = f"/melden/vorschlag/{proposal.pk}/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(citizen)
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "Werbung"})
    assert response.status_code == 302 and response["Location"] == proposal.get_absolute_url()
    assert client.post(url, {"reason": "nochmal"}).status_code == 400
    assert (
        client.post(f"/melden/kommentar/{comment.pk}/", {"reason": "Beleidigend"}).status_code
        == 302
    )
    assert Report.objects.count() == 2
    hidden = ProposalFactory(visibility=Proposal.Visibility.HIDDEN)
    assert client.get(f"/melden/vorschlag/{hidden.pk}/").status_code == 404


def test_moderation_from_the_queue_page(client: Any, citizen: Any, planner_user: Any) -> None:
    proposal = ProposalFactory(title="Gemeldeter Vorschlag")
    comment = CommentFactory(proposal=proposal, body="Gemeldeter Kommentar")
    review.report_create(reporter=citizen, proposal=proposal, reason="Werbung")
    review.report_create(reporter=citizen, comment=comment, reason="Beleidigend")
    client.force_login(planner_user)
    page = client.get("/planung/moderation/").content.decode()
    assert "Gemeldeter Vorschlag" in page and "Gemeldeter Kommentar" in page
    response = client.post(
        f"/planung/kommentare/{comment.pk}/moderieren/",
        {"action": "hide", "reason": "Beleidigend", "next": "/planung/moderation/"},
    )
    assert response.status_code == 302 and response["Location"] == "/planung/moderation/"
    assert Comment.objects.get(pk=comment.pk).is_hidden
    response = client.post(f"/planung/vorschlaege/{proposal.pk}/moderieren/", {"action": "hide"})
    assert response.status_code == 400  # no reason
    assert Proposal.objects.get(pk=proposal.pk).visibility == Proposal.Visibility.PUBLISHED


def test_content_of_a_deleted_account_is_moderated_like_any_other(
    client: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory(author=None)
    comment = CommentFactory(proposal=proposal, author=None)
    client.force_login(planner_user)

    for url, action, reason in [
        (f"/planung/kommentare/{comment.pk}/moderieren/", "hide", "Beleidigend"),
        (f"/planung/kommentare/{comment.pk}/moderieren/", "restore", ""),
        (f"/planung/kommentare/{comment.pk}/moderieren/", "approve", ""),
        (f"/planung/vorschlaege/{proposal.pk}/moderieren/", "hide", "Werbung"),
        (f"/planung/vorschlaege/{proposal.pk}/moderieren/", "restore", ""),
        (f"/planung/vorschlaege/{proposal.pk}/moderieren/", "approve", ""),
    ]:
        response = client.post(url, {"action": action, "reason": reason})
        assert response.status_code == 302, (url, action, response.content.decode()[-2000:])

    actions = AuditEntry.objects.order_by("pk").values_list("action", flat=True)
    assert list(actions) == [
        "comment.hide",
        "comment.restore",
        "comment.approve",
        "proposal.hide",
        "proposal.restore",
        "proposal.approve",
    ]


def test_every_workspace_error_names_its_field_and_object(client: Any, planner_user: Any) -> None:
    comment = CommentFactory()
    client.force_login(planner_user)

    # A comment's refusal shows at the proposal's page: it names the comment and the field.
    response = client.post(f"/planung/kommentare/{comment.pk}/moderieren/", {"action": "hide"})
    assert response.status_code == 400
    form = response.context["moderation_form"]
    # (The workspace speaks German: its URLs carry no language.)
    assert form.non_field_errors() == [
        f"Kommentar #{comment.pk}, Grund (die Autorin oder der Autor liest ihn): Geben Sie an, "
        "warum ausgeblendet wird; die Autorin oder der Autor liest den Grund."
    ]
    assert not any(form[name].errors for name in form.fields)  # not at the proposal's fields
    response = client.post(f"/planung/kommentare/{comment.pk}/moderieren/", {"action": "fly"})
    assert response.status_code == 400
    assert (
        response.context["moderation_form"]
        .non_field_errors()[0]
        .startswith(f"Kommentar #{comment.pk}, Aktion: ")
    )
    # A service error of a field the form does not have names it.
    source = ProposalFactory(project=ProjectFactory(voting=True))
    target = ProposalFactory(project=source.project)
    tally_record(
        actor=planner_user,
        project=source.project,
        event_name="Fest",
        event_date=timezone.localdate(),
        ballots=3,
        counted_by="Team",
        counts={source.pk: 1},
    )
    response = client.post(
        f"/planung/vorschlaege/{source.pk}/zusammenfuehren/", {"target": target.pk}
    )
    assert response.status_code == 400
    assert response.context["merge_form"].non_field_errors() == [
        "Vorschlag: Dieser Vorschlag hat Stimmen auf Papier; Vorschläge mit Papierstimmen können "
        "nicht zusammengeführt werden."
    ]


def test_hiding_a_comment_hides_exactly_it_and_counts_agree_everywhere(
    client: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory()
    parent = CommentFactory(proposal=proposal, body="Beleidigender Beitrag")
    reply = CommentFactory(proposal=proposal, parent=parent, body="Eine sachliche Antwort")
    review.comment_moderate(actor=planner_user, comment=parent, action="hide", reason="Ton")

    def surfaces() -> dict[str, Any]:
        with translation.override("en"):  # the English page (notifications switch languages)
            page = client.get(proposal.get_absolute_url()).content.decode()
        api = json.loads(client.get(f"/api/v1/comments/?proposal={proposal.pk}").content)
        assert api["count"] == len(api["results"])
        feature = json.loads(client.get(f"/api/v1/proposals/{proposal.pk}/").content)
        heading = re.search(r'<h2 id="comments-heading">Comments \((\d+)\)</h2>', page)
        assert heading is not None
        return {
            "page": page,
            "api": api,
            "count": feature["properties"]["comment_count"],
            "heading": int(heading.group(1)),
        }

    seen = surfaces()
    api_ids = [c["id"] for c in seen["api"]["results"]]
    assert api_ids == [reply.pk]
    assert seen["heading"] == seen["count"] == len(api_ids) == 1
    assert "Eine sachliche Antwort" in seen["page"]  # someone else's reply stays
    assert "Beleidigender Beitrag" not in seen["page"]
    assert "This comment was hidden by the moderators." in seen["page"]
    assert "No comments yet." not in seen["page"]

    # Hiding the reply too leaves nothing, and every surface says so.
    review.comment_moderate(actor=planner_user, comment=reply, action="hide", reason="Ton")
    seen = surfaces()
    assert seen["api"]["count"] == seen["heading"] == seen["count"] == 0
    assert "No comments yet." in seen["page"]
    assert "This comment was hidden by the moderators." not in seen["page"]
