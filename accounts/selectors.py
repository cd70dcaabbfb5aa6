"""Reads about accounts: public names, whether an address is confirmed, a person's own data."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import PSEUDONYM_ALPHABET, PSEUDONYM_LENGTH
from proposals.models import Comment, NotificationSettings, Proposal, Report, Vote


def display_name(user: Any) -> str:
    """The name pages and the API show for a person: the chosen display name, else the neutral
    "Participant #<pseudonym>". Never the e-mail address, the login name or the account id.

    Lists should fetch profiles along (`select_related("author__profile")`) to stay at one query.
    """
    if user is None:
        return _("Deleted account")
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        profile = None
    if profile is not None and profile.display_name:
        return str(profile.display_name)
    code = profile.pseudonym if profile is not None else _pseudonym_without_profile(user)
    return _("Participant #%(pseudonym)s") % {"pseudonym": code}


def _pseudonym_without_profile(user: Any) -> str:
    """Accounts made outside the sign-up (the admin, `createsuperuser`) have no profile until
    they save one: a keyed hash of the id stands in, as opaque as the stored random code."""
    digest = salted_hmac("accounts.pseudonym", str(user.pk)).digest()
    return "".join(
        PSEUDONYM_ALPHABET[b % len(PSEUDONYM_ALPHABET)] for b in digest[:PSEUDONYM_LENGTH]
    )


def email_confirmed(user: Any) -> bool:
    """Whether the account's primary e-mail address is confirmed (allauth's EmailAddress).

    Superusers count as confirmed: `createsuperuser` makes them without an address record, and
    they can do everything anyway. The answer is kept on the user object for the request,
    because a page checks several rules.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_mmk_email_confirmed", None)
    if cached is None:
        cached = EmailAddress.objects.filter(user=user, primary=True, verified=True).exists()
        user._mmk_email_confirmed = cached
    return bool(cached)


def account_data(user: Any) -> dict[str, Any]:
    """Everything the service keeps about a person, as JSON-ready data (the export)."""
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        profile = None
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
        "account": {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "profile": {
            "display_name": profile.display_name if profile else "",
            "shown_as": display_name(user),
        },
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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
