"""The job that delivers one e-mail (run by `manage.py procrastinate worker`)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import get_connection
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from outbox.messages import message_from_dict


# A mail server that is down gets time to come back: waits of 2, 4, 8, … s between attempts
# (about 35 minutes over 11 attempts by default). After the last attempt the job stays "failed"
# in the admin (Procrastinate → jobs), where staff see it; the worker logs the error.
@app.task(
    name="outbox.send_email",
    queue="mail",
    retry=RetryStrategy(
        max_attempts=settings.EMAIL_QUEUE_RETRIES,  # retries after the first attempt
        exponential_wait=settings.EMAIL_QUEUE_RETRY_BASE,
    ),
)
def send_email(*, mail_id: int) -> None:
    from outbox.models import QueuedMail  # the models are ready once a job runs

    mail = QueuedMail.objects.filter(pk=mail_id).first()
    if mail is None:
        return  # sent by an earlier attempt whose end was not recorded
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    # An exception marks the attempt failed, and the retry strategy schedules the next one.
    connection.send_messages([message_from_dict(mail.message)])
    mail.delete()


# A worker that dies mid-job (killed, machine lost) leaves its job "doing"; once the worker's
# heartbeat is older than 30 s, another worker puts the job back in the queue.
@app.periodic(cron="* * * * *", periodic_id="outbox-retry-stalled")
@app.task(
    name="outbox.retry_stalled_jobs",
    queue="mail",
    queueing_lock="outbox-retry-stalled",
    pass_context=True,
)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(queue="mail"):
        await manager.retry_job(job)
