"""Participation's part of a person's data export and account deletion (registered with
accounts.personal_data in ProposalsConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse

from proposals.models import (
    Comment,
    NotificationSettings,
    Proposal,
    ProposalPhoto,
    Report,
    Vote,
)
from proposals.photos import delete_files_on_commit, photo_files


def export(user: User) -> dict[str, Any]:
    """What participation keeps about the person: settings, proposals, comments, votes, reports."""
    notifications = NotificationSettings.objects.filter(user=user).first()
    proposals = (
        Proposal.objects.filter(author=user)
        .select_related("project", "category", "site")
        .order_by("created_at", "pk")
    )
    comments = Comment.objects.filter(author=user).order_by("created_at", "pk")
    votes = Vote.objects.filter(user=user).select_related("project").order_by("created_at", "pk")
    reports = Report.objects.filter(reporter=user).order_by("created_at", "pk")
    return {
        "notification_settings": {
            "email_on_review": notifications.email_on_review if notifications else True,
        },
        "proposals": [
            {
                "id": p.pk,
                "project": p.project.slug,
                "title": p.title,
                "description": p.description,
                "category": p.category.name if p.category else None,
                "site": p.site.slug if p.site else None,
                "location": {"type": "Point", "coordinates": [p.location.x, p.location.y]},
                "status": p.status,
                "visibility": p.visibility,
                "created_at": _iso(p.created_at),
                "url": reverse(
                    "proposals:proposal-detail", kwargs={"slug": p.project.slug, "pk": p.pk}
                ),
            }
            for p in proposals
        ],
        "comments": [
            {
                "id": c.pk,
                "proposal": c.proposal_id,
                "parent": c.parent_id,
                "body": c.body,
                "hidden_by_moderation": c.is_hidden,
                "created_at": _iso(c.created_at),
            }
            for c in comments
        ],
        "votes": [
            {
                "project": v.project.slug,
                "proposal": v.proposal_id,
                "weight": v.weight,
                "created_at": _iso(v.created_at),
            }
            for v in votes
        ],
        # The pictures themselves are in the export's photo links (the person may download each).
        "photos": [
            {
                "id": photo.pk,
                "proposal": photo.proposal_id,
                "description": photo.alt_text,
                "width": photo.width,
                "height": photo.height,
                "hidden_by_moderation": photo.is_hidden,
                "created_at": _iso(photo.created_at),
                "url": photo.get_absolute_url(),
            }
            for photo in ProposalPhoto.objects.filter(uploaded_by=user).order_by("created_at", "pk")
        ],
        "reports": [
            {
                "proposal": r.proposal_id,
                "comment": r.comment_id,
                "reason": r.reason,
                "created_at": _iso(r.created_at),
            }
            for r in reports
        ],
    }


def erase(user: User) -> None:
    """Votes go with the account (who voted for what is personal data), said explicitly rather
    than left to the cascade because results change when an account goes. Proposals and comments
    stay without an author (SET_NULL); settings and reports go by CASCADE. Photos go, rows and
    files (the files once the deletion has committed): a picture may show the person or their
    home, and outlives no account."""
    Vote.objects.filter(user=user).delete()
    photos = ProposalPhoto.objects.filter(uploaded_by=user)
    delete_files_on_commit(photo_files(photos))
    photos.delete()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
