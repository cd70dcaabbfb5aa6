"""The daily digest as a periodic job of the queue's worker (`manage.py procrastinate worker`,
started by `make serve`), on the mail queue it already serves; `manage.py send_alert_digests`
does the same from cron."""

from __future__ import annotations

from django.conf import settings
from procrastinate.contrib.django import app


@app.periodic(cron=settings.ALERT_DIGEST_CRON)
@app.task(name="alerts.send_digests", queue="mail", queueing_lock="alerts.send_digests")
def send_digests(timestamp: int) -> None:
    from proposals.alerts.services import digest_send  # the models are ready once a job runs

    digest_send()
