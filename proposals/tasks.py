"""Housekeeping as a periodic job of the queue's worker (`manage.py procrastinate worker`,
started by `make serve`): picture files no row refers to any more are deleted daily, on the
housekeeping queue the worker serves beside mail. `manage.py prune_media` does the same from
cron."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from procrastinate.contrib.django import app

# Younger files are kept: their upload may still be committing (as `prune_media`'s default).
KEEP_YOUNGER_THAN = timedelta(hours=1)


@app.periodic(cron=settings.MEDIA_PRUNE_CRON)
@app.task(name="proposals.prune_media", queue="housekeeping", queueing_lock="proposals.prune_media")
def prune_media(timestamp: int) -> None:
    from proposals.photos import orphans_prune  # the models are ready once a job runs

    orphans_prune(older_than=KEEP_YOUNGER_THAN)
