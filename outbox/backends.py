"""The e-mail backend of production: every mail (allauth's, our notifications, Django's own)
becomes a job in the queue, in the caller's transaction, and the worker delivers it."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from outbox.messages import message_to_dict
from outbox.tasks import send_email


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            # procrastinate's Django connector inserts the job through Django's connection:
            # inside a transaction it is rolled back with it, so nothing unsaved is announced.
            send_email.defer(message=message_to_dict(message))
            queued += 1
        return queued
