"""E-mails to authors about what the city did with their contributions, unless they opted out."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.types import Person
from proposals.models import Comment, NotificationSettings, Proposal, ProposalResponse

logger = logging.getLogger(__name__)

# The opt-out link carries the account id, signed: it works without signing in, but cannot
# be forged for somebody else's account.
OPT_OUT_SALT = "mitmachkarte.notifications.opt-out"


def wants_email(user: Person) -> bool:
    """An active account with an address that has not turned review e-mails off."""
    if user is None or not user.is_active or not user.email:
        return False
    return not NotificationSettings.objects.filter(user=user, email_on_review=False).exists()


def opt_out_token(user: Person) -> str:
    return signing.dumps({"u": user.pk}, salt=OPT_OUT_SALT)


def user_id_from_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def review_notify(response: ProposalResponse) -> None:
    """After commit: tell the author the new status and the official response."""
    proposal = response.proposal

    def build() -> tuple[str, str]:
        subject = _("Your proposal “%(title)s”: %(status)s") % {
            "title": proposal.title,
            "status": Proposal.Status(response.to_status).label,
        }
        body = _(
            "Hello,\n\nthe city has reviewed your proposal “%(title)s” in the project "
            "“%(project)s”.\n\nNew status: %(status)s\n\nOfficial response of %(office)s:\n"
            "%(text)s\n\nRead it on the proposal's page: %(url)s\n"
        ) % {
            "title": proposal.title,
            "project": proposal.project.title,
            "status": Proposal.Status(response.to_status).label,
            "office": response.office,
            "text": response.text,
            "url": absolute_url(proposal.get_absolute_url()),
        }
        return subject, body

    _queue(proposal.author, build)


def proposal_moderation_notify(proposal: Proposal, action: str) -> None:
    """After commit: tell the author that their proposal was published, hidden or restored."""

    def build() -> tuple[str, str]:
        values = {
            "title": proposal.title,
            "project": proposal.project.title,
            "reason": proposal.moderation_reason,
            "url": absolute_url(proposal.get_absolute_url()),
        }
        if action == "hide":
            return (
                _("Your proposal “%(title)s” has been hidden") % values,
                _(
                    "Hello,\n\nyour proposal “%(title)s” in the project “%(project)s” has been "
                    "hidden by the moderators.\n\nReason: %(reason)s\n\nYou can still see it "
                    "here when signed in: %(url)s\n"
                )
                % values,
            )
        return (
            _("Your proposal “%(title)s” is public") % values,
            _(
                "Hello,\n\nyour proposal “%(title)s” in the project “%(project)s” is now "
                "public: %(url)s\n"
            )
            % values,
        )

    _queue(proposal.author, build)


def comment_moderation_notify(comment: Comment) -> None:
    """After commit: tell the author of a hidden comment why (the page no longer shows it)."""
    proposal = comment.proposal

    def build() -> tuple[str, str]:
        values = {
            "title": proposal.title,
            "reason": comment.moderation_reason,
            "body": comment.body,
            "url": absolute_url(proposal.get_absolute_url()),
        }
        return (
            _("Your comment on “%(title)s” has been hidden") % values,
            _(
                "Hello,\n\nyour comment on the proposal “%(title)s” has been hidden by the "
                "moderators.\n\nReason: %(reason)s\n\nYour comment:\n%(body)s\n\n"
                "The proposal: %(url)s\n"
            )
            % values,
        )

    _queue(comment.author, build)


def merge_notify(source: Proposal, target: Proposal) -> None:
    def build() -> tuple[str, str]:
        values = {
            "title": source.title,
            "target": target.title,
            "url": absolute_url(target.get_absolute_url()),
        }
        return (
            _("Your proposal “%(title)s” was merged") % values,
            _(
                "Hello,\n\nyour proposal “%(title)s” was merged with the very similar proposal "
                "“%(target)s” at the same place. Votes for yours now count for it (nobody is "
                "counted twice). It is here: %(url)s\n"
            )
            % values,
        )

    _queue(source.author, build)


def _queue(user: User | None, build: Any) -> None:
    """Send once the transaction has committed: a rolled-back change must not be announced."""
    if user is None or not wants_email(user):  # None: the author deleted the account
        return

    def send() -> None:
        # Mails go out in the site's default language (German): we do not store one per person.
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = build()
            footer = _(
                "\n--\nYou receive this because you took part on the Mitmachkarte. To stop "
                "these e-mails: %(url)s\n"
            ) % {
                "url": absolute_url(
                    reverse("proposals:workspace:notifications-token", args=[opt_out_token(user)])
                )
            }
        try:
            send_mail(subject, body + footer, None, [user.email])
        except Exception:
            # The change is committed and stays; a mail server failure is logged, not a 500.
            logger.exception("Notification to user %s could not be sent", user.pk)

    transaction.on_commit(send)
