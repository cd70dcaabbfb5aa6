"""The queue in the admin shows who a mail is for and its subject, never the body: a
password-reset mail's body holds a link that signs in as its owner."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob


class QueueJobAdmin(ProcrastinateJobAdmin):
    @admin.display(description=_("Arguments"))
    def pretty_args(self, instance: ProcrastinateJob) -> str:
        message: Any = (instance.args or {}).get("message")
        if isinstance(message, dict):
            return _("E-mail to %(to)s: %(subject)s") % {
                "to": ", ".join(message.get("to", [])),
                "subject": message.get("subject", ""),
            }
        return ""


admin.site.unregister(ProcrastinateJob)
admin.site.register(ProcrastinateJob, QueueJobAdmin)
