"""A queued e-mail: the job in the queue names it by id, so the job's arguments (which the
queue's admin shows) never carry a body, and a password-reset link stays out of sight."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QueuedMail(models.Model):
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    recipients = models.TextField(_("recipients"))
    subject = models.TextField(_("subject"))
    # The message as outbox.messages.message_to_dict makes it.
    message = models.JSONField(_("message"))

    class Meta:
        verbose_name = _("queued e-mail")
        verbose_name_plural = _("queued e-mails")

    def __str__(self) -> str:
        return f"{self.recipients}: {self.subject}"
