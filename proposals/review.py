"""Planners' write use cases: review transitions with responses, moderation, reports, merges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Person, signed_in
from audit.services import log_action
from geo.validation import as_storage_point
from proposals import notifications, rules
from proposals.errors import refusal as _refusal
from proposals.models import (
    Category,
    Comment,
    NotificationSettings,
    PaperTallyCount,
    Proposal,
    ProposalResponse,
    Report,
    VotingMode,
)
from proposals.services import check_place_and_category

Status = Proposal.Status
Visibility = Proposal.Visibility

# The review workflow, explicitly: where a proposal may go from each status. "Back" moves exist
# where a decision can honestly be reopened; a rejected idea is reconsidered, not implemented.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.UNDER_REVIEW}),
    Status.UNDER_REVIEW: frozenset({Status.ACCEPTED, Status.REJECTED, Status.SUBMITTED}),
    Status.ACCEPTED: frozenset({Status.IMPLEMENTED, Status.UNDER_REVIEW}),
    Status.REJECTED: frozenset({Status.UNDER_REVIEW}),
    Status.IMPLEMENTED: frozenset({Status.ACCEPTED}),
}

MODERATION_ACTIONS = ("approve", "hide", "restore")
# Content outlives its author: a deleted account leaves `author` empty (SET_NULL), and
# moderating, merging or correcting that content must not trip over the missing author.
AUTHORLESS = ["author"]
# Reports are a citizen action: this many within an hour is plenty for a person; more is noise.


def allowed_transitions(proposal: Proposal) -> list[str]:
    """The statuses a proposal may move to now, in the order of the workflow."""
    allowed = TRANSITIONS.get(proposal.status, frozenset())
    return [value for value in Status.values if value in allowed]


@transaction.atomic
def proposal_transition(
    *,
    actor: Person,
    proposal: Proposal,
    to_status: str,
    response_text: str,
    office: str = "",
) -> ProposalResponse:
    """Move a proposal along the review workflow with an official, public, signed response."""
    rules.may_review.enforce(actor, proposal)
    # Locked: two planners answering at once cannot both move it from the same status.
    locked = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    errors: dict[str, list[ValidationError]] = {}
    if to_status not in Status.values:
        errors["to_status"] = [ValidationError(_("Unknown status."), code="invalid")]
    elif to_status not in TRANSITIONS.get(locked.status, frozenset()):
        message = _("A proposal cannot go from “%(from)s” to “%(to)s”.") % {
            "from": Status(locked.status).label,
            "to": Status(to_status).label,
        }
        errors["to_status"] = [ValidationError(message, code="not_allowed")]
    text = response_text.strip()
    if not text:
        errors["response_text"] = [
            ValidationError(
                _("Write the official response; citizens read it on the proposal."),
                code="required",
            )
        ]
    signed_by = office.strip() or locked.project.office.strip()
    if not signed_by:
        errors["office"] = [
            ValidationError(_("Name the office that signs the response."), code="required")
        ]
    if errors:
        raise ValidationError(errors)
    before = {"status": locked.status}
    response = ProposalResponse(
        proposal=locked,
        from_status=locked.status,
        to_status=to_status,
        text=text,
        office=signed_by,
        responder=signed_in(actor),
    )
    response.full_clean()
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    response.save()
    log_action(
        actor=actor,
        action="proposal.transition",
        obj=locked,
        project=locked.project,
        before=before,
        after={"status": to_status, "response": text, "office": signed_by},
    )
    notifications.review_notify(response)
    proposal.status = to_status
    return response


@transaction.atomic
def proposal_moderate(
    *, actor: Person, proposal: Proposal, action: str, reason: str = ""
) -> Proposal:
    """approve (publish a pending one, or keep a reported one), hide with a reason, restore."""
    rules.may_moderate.enforce(actor, proposal.project)
    locked = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    reason = reason.strip()
    _check_action(action, reason)
    before = {"visibility": locked.visibility, "moderation_reason": locked.moderation_reason}
    if action == "approve":
        if locked.visibility == Visibility.HIDDEN:
            raise _refusal("action", _("A hidden proposal is restored, not approved."), "invalid")
        locked.visibility = Visibility.PUBLISHED
    elif action == "hide":
        if locked.visibility == Visibility.HIDDEN:
            raise _refusal("action", _("This proposal is already hidden."), "invalid")
        locked.visibility = Visibility.HIDDEN
        locked.moderation_reason = reason
    else:
        if locked.visibility != Visibility.HIDDEN:
            raise _refusal("action", _("Only hidden proposals can be restored."), "invalid")
        if locked.merged_into_id is not None:
            raise _refusal(
                "action",
                _("A merged proposal cannot be restored: its votes now belong to the other."),
                "merged",
            )
        locked.visibility = Visibility.PUBLISHED
        locked.moderation_reason = ""
    locked.full_clean(exclude=AUTHORLESS)
    locked.save(update_fields=["visibility", "moderation_reason", "updated_at"])
    resolved = _resolve_reports(Report.objects.filter(proposal=locked), actor, action)
    log_action(
        actor=actor,
        action=f"proposal.{action}",
        obj=locked,
        project=locked.project,
        before=before,
        after={
            "visibility": locked.visibility,
            "moderation_reason": locked.moderation_reason,
            "reports_resolved": resolved,
        },
        reason=reason,
    )
    was_pending = before["visibility"] == Visibility.PENDING
    if action == "hide" or (action == "approve" and was_pending) or action == "restore":
        notifications.proposal_moderation_notify(locked, action)
    proposal.visibility = locked.visibility
    proposal.moderation_reason = locked.moderation_reason
    return locked


@transaction.atomic
def proposal_edit(
    *,
    actor: Person,
    proposal: Proposal,
    title: str,
    description: str = "",
    category: Category | None = None,
    location: GEOSGeometry | None = None,
) -> Proposal:
    """A planner corrects a proposal's text, category or place (the admin), audited.

    The same checks as the author's own edit: the category belongs to the project and the
    point lies in its area. An option stays at its site's point.
    """
    rules.may_moderate.enforce(actor, proposal.project)
    locked = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    point = as_storage_point(location) if location is not None else locked.location
    if locked.site_id is not None and not point.equals_exact(locked.location, 1e-9):
        raise _refusal(
            "location", _("An option stands at its site's point; move the site instead."), "site"
        )
    check_place_and_category(locked.project, point, category)
    before = _proposal_snapshot(locked)
    locked.title = title.strip()
    locked.description = description.strip()
    locked.category = category
    locked.location = point
    locked.full_clean(exclude=AUTHORLESS)
    locked.save(update_fields=["title", "description", "category", "location", "updated_at"])
    after = _proposal_snapshot(locked)
    log_action(
        actor=actor,
        action="proposal.edit",
        obj=locked,
        project=locked.project,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return locked


def _proposal_snapshot(proposal: Proposal) -> dict[str, Any]:
    return {
        "title": proposal.title,
        "description": proposal.description,
        "category": proposal.category_id,
        # Rounded to about a centimetre: the map widget's round trip through EPSG:3857 is no edit.
        "location": [round(proposal.location.x, 7), round(proposal.location.y, 7)],
    }


@transaction.atomic
def comment_moderate(*, actor: Person, comment: Comment, action: str, reason: str = "") -> Comment:
    """approve (keep a reported comment), hide with a reason sent to the author, restore."""
    project = comment.proposal.project
    rules.may_moderate.enforce(actor, project)
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    locked.proposal = comment.proposal
    reason = reason.strip()
    _check_action(action, reason)
    before = {"is_hidden": locked.is_hidden, "moderation_reason": locked.moderation_reason}
    if action == "approve":
        if locked.is_hidden:
            raise _refusal("action", _("A hidden comment is restored, not approved."), "invalid")
    elif action == "hide":
        if locked.is_hidden:
            raise _refusal("action", _("This comment is already hidden."), "invalid")
        locked.is_hidden = True
        locked.moderation_reason = reason
    else:
        if not locked.is_hidden:
            raise _refusal("action", _("Only hidden comments can be restored."), "invalid")
        locked.is_hidden = False
        locked.moderation_reason = ""
    locked.full_clean(exclude=AUTHORLESS)
    locked.save(update_fields=["is_hidden", "moderation_reason"])
    resolved = _resolve_reports(Report.objects.filter(comment=locked), actor, action)
    log_action(
        actor=actor,
        action=f"comment.{action}",
        obj=locked,
        project=project,
        before=before,
        after={
            "is_hidden": locked.is_hidden,
            "moderation_reason": locked.moderation_reason,
            "reports_resolved": resolved,
        },
        reason=reason,
    )
    if action == "hide":
        notifications.comment_moderation_notify(locked)
    comment.is_hidden = locked.is_hidden
    comment.moderation_reason = locked.moderation_reason
    return locked


@transaction.atomic
def report_create(
    *,
    reporter: Any,
    reason: str,
    proposal: Proposal | None = None,
    comment: Comment | None = None,
) -> Report:
    """A person flags a proposal or a comment; once per object while the report is open."""
    if (proposal is None) == (comment is None):
        raise _refusal("target", _("Report either a proposal or a comment."), "invalid")
    subject = proposal if proposal is not None else comment.proposal  # type: ignore[union-attr]
    rules.may_report.enforce(reporter, subject)
    if comment is not None and comment.is_hidden:
        raise _refusal("comment", _("This comment is already hidden."), "invalid")
    # One person's reports are serialised, so the duplicate check below is exact. (How often one
    # may report is the `reports` rate limit of the views, like every other write.)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"report:{reporter.pk}"]
        )
    mine = Report.objects.filter(reporter=reporter)
    target = {"proposal": proposal} if proposal is not None else {"comment": comment}
    if mine.filter(resolved_at__isnull=True, **target).exists():
        raise _refusal(
            "reason",
            _("You have already reported this; the moderators will look at it."),
            "duplicate",
        )
    report = Report(reporter=reporter, reason=reason.strip(), **target)
    report.full_clean()
    report.save()
    log_action(
        actor=reporter,
        action="report.create",
        obj=report,
        project=subject.project,
        after={"proposal": report.proposal_id, "comment": report.comment_id},
        reason=report.reason,
    )
    return report


@dataclass(frozen=True)
class MergeResult:
    target: Proposal
    moved: int  # votes that moved from the source to the target
    combined: int  # people who had voted for both: their votes became one on the target


@transaction.atomic
def proposal_merge(
    *, actor: Person, source: Proposal, target: Proposal, reason: str = ""
) -> MergeResult:
    """Merge a duplicate into the proposal that stays, keeping every person's support once.

    Votes move in three set-based statements under each voter's ballot lock: people who voted
    for both keep one vote on the target (in budget mode their weights add up to the per-option
    cap), the others' votes move over. The source leaves the lists and points to the target.
    """
    rules.may_merge.enforce(actor, source, target)
    project = source.project
    # Ballot locks first, the same ones vote_cast takes, in a fixed order so two merges cannot
    # deadlock; then the two rows, so nobody reviews or merges them meanwhile.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('ballot:' || %s || ':' || v.user_id, 0))"
            " FROM (SELECT DISTINCT user_id FROM proposals_vote WHERE proposal_id IN (%s, %s)"
            " ORDER BY user_id) AS v",
            [str(project.pk), source.pk, target.pk],
        )
    rows = {
        p.pk: p
        for p in Proposal.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
        .select_related("project")
    }
    source, target = rows[source.pk], rows[target.pk]
    rules.may_merge.enforce(actor, source, target)  # again, now that nobody can change them
    if PaperTallyCount.objects.filter(proposal=source).exists():
        # Paper ballots cannot be told apart by person: adding them up could count one twice.
        raise _refusal(
            "source",
            _("This proposal has paper votes; proposals with paper votes cannot be merged."),
            "paper_votes",
        )
    cap = project.max_votes_per_option if project.voting_mode == VotingMode.BUDGET else 1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE proposals_vote AS t SET weight = LEAST(t.weight + s.weight, %s)"
            " FROM proposals_vote AS s"
            " WHERE t.proposal_id = %s AND s.proposal_id = %s AND s.user_id = t.user_id",
            [cap, target.pk, source.pk],
        )
        combined = cursor.rowcount
        cursor.execute(
            "DELETE FROM proposals_vote AS s WHERE s.proposal_id = %s AND EXISTS (SELECT 1"
            " FROM proposals_vote AS t WHERE t.proposal_id = %s AND t.user_id = s.user_id)",
            [source.pk, target.pk],
        )
        cursor.execute(
            "UPDATE proposals_vote SET proposal_id = %s WHERE proposal_id = %s",
            [target.pk, source.pk],
        )
        moved = cursor.rowcount
    before = {
        "visibility": source.visibility,
        "moderation_reason": source.moderation_reason,
        "merged_into": None,
    }
    source.merged_into = target
    source.visibility = Visibility.HIDDEN
    source.moderation_reason = reason.strip() or _("Merged into “%(title)s”.") % {
        "title": target.title
    }
    source.full_clean(exclude=AUTHORLESS)
    source.save(update_fields=["merged_into", "visibility", "moderation_reason", "updated_at"])
    source.related.remove(target)
    log_action(
        actor=actor,
        action="proposal.merge",
        obj=source,
        project=project,
        before=before,
        after={
            "visibility": source.visibility,
            "moderation_reason": source.moderation_reason,
            "merged_into": target.pk,
            "votes_moved": moved,
            "voters_combined": combined,
        },
        reason=reason.strip(),
    )
    notifications.merge_notify(source, target)
    return MergeResult(target=target, moved=moved, combined=combined)


@transaction.atomic
def proposal_link(
    *, actor: Person, proposal: Proposal, other: Proposal, linked: bool = True
) -> None:
    """Mark two proposals as related (or no longer related) without merging them."""
    rules.may_moderate.enforce(actor, proposal.project)
    if proposal.pk == other.pk:
        raise _refusal("other", _("A proposal cannot be related to itself."), "invalid")
    if proposal.project_id != other.project_id:
        raise _refusal("other", _("Only proposals of the same project can be related."), "invalid")
    before = sorted(proposal.related.values_list("pk", flat=True))
    if linked:
        proposal.related.add(other)
    else:
        proposal.related.remove(other)
    log_action(
        actor=actor,
        action="proposal.link" if linked else "proposal.unlink",
        obj=proposal,
        project=proposal.project,
        before={"related": before},
        after={"related": sorted(proposal.related.values_list("pk", flat=True))},
    )


@transaction.atomic
def notification_settings_update(*, user: Person, email_on_review: bool) -> NotificationSettings:
    if not user.is_authenticated:
        raise PermissionDenied(_("Please sign in."))
    settings, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_on_review": email_on_review}
    )
    return settings


def _check_action(action: str, reason: str) -> None:
    if action not in MODERATION_ACTIONS:
        raise _refusal("action", _("Unknown moderation action."), "invalid")
    if action == "hide" and not reason:
        raise _refusal(
            "reason", _("Say why it is hidden; the author will read the reason."), "required"
        )


def _resolve_reports(reports: Any, actor: Person, action: str) -> int:
    """Close the open reports on an object with the moderator's decision (one UPDATE)."""
    outcome = Report.Outcome.HIDDEN if action == "hide" else Report.Outcome.KEPT
    return int(
        reports.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor, outcome=outcome
        )
    )
