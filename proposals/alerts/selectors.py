"""Reads of alerts that pages and feeds share."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

from proposals import rules
from proposals.alerts.models import AlertSettings, Frequency, ProgressUpdate, Subscription
from proposals.models import Project, Proposal, ProposalResponse
from proposals.selectors import proposals_visible_to

IMPLEMENTATION_STATUSES = (Proposal.Status.ACCEPTED, Proposal.Status.IMPLEMENTED)


def frequency_of(user: Any) -> str:
    setting = AlertSettings.objects.filter(user=user).first()
    return setting.frequency if setting else Frequency.IMMEDIATE


def subscriptions_of(user: Any) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(user=user)
        .select_related("proposal__project", "project", "district", "site")
        .prefetch_related("in_projects", "in_categories")
    )


def follows(user: Any, *, proposal: Proposal | None = None, project: Project | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if proposal is not None:
        return Subscription.objects.filter(
            user=user, kind=Subscription.Kind.PROPOSAL, proposal=proposal
        ).exists()
    return Subscription.objects.filter(
        user=user, kind=Subscription.Kind.PROJECT, project=project
    ).exists()


def implementation(user: Any, *, project: Project | None = None) -> QuerySet[Proposal]:
    """Accepted and implemented proposals the viewer may see, with their latest progress."""
    latest = ProgressUpdate.objects.filter(proposal=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        proposals_visible_to(user, project=project)
        .filter(status__in=IMPLEMENTATION_STATUSES)
        .select_related("project", "category")
        .annotate(
            latest_stage=Subquery(latest.values("stage")[:1]),
            latest_percent=Subquery(latest.values("percent")[:1]),
            latest_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("project__title", "-latest_at", "title")
    )


def progress_of(proposal: Proposal) -> QuerySet[ProgressUpdate]:
    return ProgressUpdate.objects.filter(proposal=proposal).order_by("-created_at", "-pk")


def public_proposals() -> QuerySet[Proposal]:
    """What everyone sees (the one rule, for an anonymous viewer): what feeds and embeds show."""
    return proposals_visible_to(AnonymousUser(), sight=rules.Sight.LISTED)


def responses_of(proposals: QuerySet[Proposal]) -> QuerySet[ProposalResponse]:
    return ProposalResponse.objects.filter(proposal__in=proposals).select_related(
        "proposal__project"
    )


def progress_in(proposals: QuerySet[Proposal]) -> QuerySet[ProgressUpdate]:
    return ProgressUpdate.objects.filter(proposal__in=proposals).select_related("proposal__project")
