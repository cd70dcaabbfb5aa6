"""The e-mails of alerts: one per person (never a list of recipients), each with a signed
one-click unsubscribe link, through the platform's mail path (the queue in production)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from proposals.alerts.models import Notice, ProgressUpdate
from proposals.models import Proposal, ProposalResponse

logger = logging.getLogger(__name__)

# The link carries the account id, signed: it works without signing in (and for a mail
# client's one-click POST, RFC 8058), but cannot be forged for somebody else's account.
UNSUBSCRIBE_SALT = "mitmachkarte.alerts.unsubscribe"


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT)


def user_id_from_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(user_id: int) -> str:
    return absolute_url(reverse("alerts:unsubscribe", args=[unsubscribe_token(user_id)]))


def describe(
    event: str,
    proposal: Proposal,
    response: ProposalResponse | None = None,
    progress: ProgressUpdate | None = None,
) -> str:
    """One event as a paragraph of plain text (an e-mail of its own, or a digest entry)."""
    values: dict[str, object] = {
        "title": proposal.title,
        "project": proposal.project.title,
        "url": absolute_url(proposal.get_absolute_url()),
    }
    if event == Notice.Event.RESPONSE and response is not None:
        values.update(
            status=Proposal.Status(response.to_status).label,
            office=response.office,
            text=response.text,
        )
        return (
            _(
                "The city has answered the proposal “%(title)s” (project “%(project)s”).\n"
                "New status: %(status)s\nOfficial response of %(office)s:\n%(text)s\n%(url)s\n"
            )
            % values
        )
    if event == Notice.Event.PROGRESS and progress is not None:
        values.update(
            stage=progress.get_stage_display() or "-",
            percent=f"{progress.percent} %" if progress.percent is not None else "-",
            text=progress.text,
        )
        return (
            _(
                "Progress in implementing “%(title)s” (project “%(project)s”).\n"
                "Stage: %(stage)s, done: %(percent)s\n%(text)s\n%(url)s\n"
            )
            % values
        )
    return _("New proposal “%(title)s” in the project “%(project)s”:\n%(url)s\n") % values


def subject_for(event: str, proposal: Proposal) -> str:
    values = {"title": proposal.title}
    if event == Notice.Event.RESPONSE:
        return _("The city has answered: “%(title)s”") % values
    if event == Notice.Event.PROGRESS:
        return _("Progress on “%(title)s”") % values
    return _("New proposal: “%(title)s”") % values


def build_message(user_id: int, email: str, subject: str, text: str) -> EmailMessage:
    link = unsubscribe_url(user_id)
    footer = _(
        "\n--\nYou receive this because you follow this on the Mitmachkarte. "
        "What you follow and how often: %(settings)s\nStop all these e-mails with one click: "
        "%(url)s\n"
    ) % {"settings": absolute_url(reverse("alerts:settings")), "url": link}
    return EmailMessage(
        subject=subject,
        body=_("Hello,\n\n") + text + footer,
        to=[email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def send(messages: Sequence[EmailMessage]) -> None:
    if not messages:
        return
    try:
        get_connection().send_messages(list(messages))
    except Exception:
        # What happened is committed; a failing mail path is logged, not a 500.
        logger.exception("Alert e-mails could not be queued")


def event_messages(
    recipients: Iterable[tuple[int, str]],
    event: str,
    proposal: Proposal,
    response: ProposalResponse | None = None,
    progress: ProgressUpdate | None = None,
) -> list[EmailMessage]:
    # Mails go out in the site's default language (German): we do not store one per person.
    with translation.override(settings.LANGUAGE_CODE):
        subject = subject_for(event, proposal)
        text = describe(event, proposal, response, progress)
        return [build_message(uid, email, subject, text) for uid, email in recipients]
