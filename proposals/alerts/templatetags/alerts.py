"""Small, self-contained pieces the project and proposal pages include: the follow button,
the feed link for <head>, the implementation progress of a proposal, the embed code."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from proposals import rules
from proposals.alerts import selectors
from proposals.models import Project, Proposal

register = template.Library()


def _feed_url(obj: Project | Proposal) -> str:
    if isinstance(obj, Proposal):
        return reverse("alerts:feed-proposal", args=[obj.pk])
    return reverse("alerts:feed-project", args=[obj.slug])


@register.inclusion_tag("alerts/_feed_link.html")
def feed_link(obj: Project | Proposal) -> dict[str, Any]:
    """`<link rel="alternate" type="application/atom+xml">` for a page's <head>."""
    if isinstance(obj, Proposal):
        public = rules.proposal_sight(AnonymousUser(), obj) == rules.Sight.LISTED
    else:
        public = obj.is_published
    return {"url": _feed_url(obj) if public else None, "title": str(obj)}


@register.inclusion_tag("alerts/_follow.html", takes_context=True)
def follow_panel(context: Any, obj: Project | Proposal) -> dict[str, Any]:
    """Follow/unfollow, the feed, and (projects) the implementation list and embed code."""
    request = context.get("request")
    user = getattr(request, "user", None)
    is_proposal = isinstance(obj, Proposal)
    following = bool(
        user is not None
        and user.is_authenticated
        and (
            selectors.follows(user, proposal=obj)
            if isinstance(obj, Proposal)
            else selectors.follows(user, project=obj)
        )
    )
    listed = not is_proposal or rules.proposal_sight(user, obj) == rules.Sight.LISTED  # type: ignore[arg-type]
    return {
        "show": listed,
        "obj": obj,
        "kind": "vorschlag" if is_proposal else "projekt",
        "following": following,
        "signed_in": bool(user is not None and user.is_authenticated),
        "feed_url": _feed_url(obj),
        "implementation_url": None
        if is_proposal
        else reverse("alerts:project-implementation", args=[obj.slug]),  # type: ignore[union-attr]
        "embed_url": None if is_proposal else reverse("alerts:embed-code", args=[obj.slug]),  # type: ignore[union-attr]
        "request": request,
    }


@register.inclusion_tag("alerts/_progress.html", takes_context=True)
def progress_panel(context: Any, proposal: Proposal) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "show": proposal.status in selectors.IMPLEMENTATION_STATUSES,
        "proposal": proposal,
        # Only accepted proposals carry updates: the others' pages ask nothing more.
        "updates": list(selectors.progress_of(proposal))
        if proposal.status in selectors.IMPLEMENTATION_STATUSES
        else [],
        "may_report": user is not None and rules.may_report_progress(user, proposal),
    }
