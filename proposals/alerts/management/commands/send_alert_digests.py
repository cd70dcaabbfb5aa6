"""Send the daily digests of alerts (run once a day by cron or a scheduled job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from proposals.alerts.services import digest_send


class Command(BaseCommand):
    help = "E-mail each person who chose the daily digest what happened since the last one."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = digest_send()
        self.stdout.write(f"{sent} digest e-mail(s) queued.")
