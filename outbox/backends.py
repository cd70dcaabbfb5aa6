"""The e-mail backend of production: every mail (allauth's, our notifications, Django's own)
becomes a job in the queue, in the caller's transaction, and the worker delivers it."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from outbox.messages import message_to_dict
from outbox.models import QueuedMail
from outbox.tasks import send_email


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            # The row and the job are written through Django's connection (procrastinate's
            # Django connector): inside a transaction they are rolled back with it, so
            # nothing unsaved is ever announced.
            with transaction.atomic():
                mail = QueuedMail.objects.create(
                    recipients=", ".join(message.recipients()),
                    subject=str(message.subject),
                    message=message_to_dict(message),
                )
                send_email.defer(mail_id=mail.pk)
            queued += 1
        return queued
