"""The queue in the admin: for a mail job, whom it is for and its subject, never the body (a
password-reset mail's body holds a link that signs in as its owner)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob

from outbox.models import QueuedMail


class QueueJobAdmin(ProcrastinateJobAdmin):
    @admin.display(description=_("Arguments"))
    def pretty_args(self, instance: ProcrastinateJob) -> str:
        mail_id = (instance.args or {}).get("mail_id")
        mail = QueuedMail.objects.filter(pk=mail_id).first() if mail_id else None
        if mail is None:
            return super().pretty_args(instance)
        return _("E-mail to %(to)s: %(subject)s") % {"to": mail.recipients, "subject": mail.subject}


admin.site.unregister(ProcrastinateJob)
admin.site.register(ProcrastinateJob, QueueJobAdmin)
