"""Mail leaves the request through the job queue: a mail server that stalls or refuses never
slows or breaks a request; the worker retries with backoff; what finally fails, staff see."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import send_mail
from django.db import connection, transaction
from django.test import override_settings

from tests.deploy.conftest import (
    Client,
    SmtpSink,
    StallingSmtp,
    free_port,
    gunicorn,
    production_env,
    queue_worker,
    wait_until,
)
from tests.factories import UserFactory

QUEUED = "outbox.backends.QueuedEmailBackend"


def mail_jobs() -> list[dict[str, Any]]:
    """The mail jobs in the queue, each with its queued message (gone once it is sent)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.id, j.status, j.attempts, m.message::text FROM procrastinate_jobs j"
            " LEFT JOIN outbox_queuedmail m ON m.id = (j.args->>'mail_id')::bigint"
            " WHERE j.task_name = 'outbox.send_email' ORDER BY j.id"
        )
        return [
            {
                "id": id_,
                "status": status,
                "attempts": attempts,
                "message": json.loads(message) if message else None,
            }
            for id_, status, attempts, message in cursor.fetchall()
        ]


@pytest.fixture
def empty_queue(transactional_db: Any) -> None:
    # The queue's tables are not Django's to flush between tests.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
        cursor.execute("DELETE FROM outbox_queuedmail")


@pytest.mark.usefixtures("empty_queue")
def test_a_dead_mail_server_never_slows_or_breaks_a_request(
    static_root: Path, tmp_path: Path
) -> None:
    user = UserFactory(username="lena", email="lena@example.org")
    smtp_port = free_port()
    env = production_env(static_root, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", EMAIL_TIMEOUT="20")
    with StallingSmtp(smtp_port), gunicorn(env, tmp_path) as port:
        client = Client(f"http://127.0.0.1:{port}")
        started = time.monotonic()
        response, body = client.post_form("/konto/password/reset/", {"email": user.email})
        elapsed = time.monotonic() - started
    # Sent in the request, the mail would have held it for EMAIL_TIMEOUT (20 s) and then
    # failed; queued, the request is over as soon as the job row is written.
    assert response.status == 302, body[:1000]
    assert elapsed < 10, elapsed
    [job] = mail_jobs()
    assert job["status"] == "todo"
    assert job["message"]["to"] == [user.email]
    assert "/konto/password/reset/key/" in job["message"]["body"]

    # Refused outright (nothing listens on the port): the same, and the request still works.
    with gunicorn(env, tmp_path) as port:
        response, body = Client(f"http://127.0.0.1:{port}").post_form(
            "/konto/password/reset/", {"email": user.email}
        )
    assert response.status == 302, body[:1000]
    assert len(mail_jobs()) == 2


@pytest.mark.usefixtures("empty_queue")
def test_the_worker_retries_until_the_mail_server_is_back(
    static_root: Path, tmp_path: Path
) -> None:
    smtp_port = free_port()
    env = production_env(
        static_root,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="2",
        EMAIL_QUEUE_RETRY_BASE="2",
    )
    with override_settings(EMAIL_BACKEND=QUEUED):
        send_mail("Ihr Vorschlag", "Hallo Lena", None, ["lena@example.org"])
    with queue_worker(env, tmp_path) as worker:
        # The server stalls: the first attempt times out after 2 s, and a retry is scheduled.
        with StallingSmtp(smtp_port):
            wait_until(
                lambda: mail_jobs()[0]["attempts"] >= 1,
                timeout=30,
                what="the first attempt",
                process=worker,
            )
        [job] = mail_jobs()
        assert job["status"] == "todo"  # waiting for its retry, not given up
        # The server comes back on the same port; the retry (after 2**n s) delivers the mail.
        with SmtpSink(smtp_port) as sink:
            wait_until(lambda: sink.messages, timeout=60, what="the retry", process=worker)
            wait_until(lambda: not mail_jobs(), timeout=10, what="the job's removal")
    [envelope] = sink.messages
    assert envelope.rcpt_tos == ["lena@example.org"]
    assert "Hallo Lena" in envelope.content.decode()


@pytest.mark.usefixtures("empty_queue")
def test_a_mail_that_cannot_be_sent_is_visible_to_staff(
    static_root: Path, tmp_path: Path, client: Any
) -> None:
    env = production_env(static_root, EMAIL_QUEUE_RETRIES="2", EMAIL_QUEUE_RETRY_BASE="1")
    with override_settings(EMAIL_BACKEND=QUEUED):
        send_mail(
            "Ihr Passwort", "Geheimer Link: /konto/password/reset/key/x", None, ["lena@example.org"]
        )
    with queue_worker(env, tmp_path) as worker:  # EMAIL_URL names a port nobody listens on
        wait_until(
            lambda: mail_jobs()[0]["status"] == "failed",
            timeout=60,
            what="the job to fail",
            process=worker,
        )
    assert mail_jobs()[0]["attempts"] == 3  # the first and two retries

    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    page = client.get("/admin/procrastinate/procrastinatejob/", {"status__exact": "failed"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "lena@example.org" in text and "Ihr Passwort" in text
    # The body (a reset link signs in as its owner) is not shown to staff.
    assert "Geheimer Link" not in text


@pytest.mark.django_db
def test_a_queued_mail_is_rolled_back_with_its_transaction() -> None:
    with override_settings(EMAIL_BACKEND=QUEUED):
        with pytest.raises(RuntimeError), transaction.atomic():
            send_mail("Verworfen", "nie", None, ["a@example.org"])
            raise RuntimeError
        assert [job["message"]["subject"] for job in mail_jobs()] == []
        send_mail("Bleibt", "ja", None, ["a@example.org"])
    assert [job["message"]["subject"] for job in mail_jobs()] == ["Bleibt"]


@pytest.mark.usefixtures("empty_queue")
def test_a_mail_left_by_a_dead_worker_is_sent_by_another(static_root: Path, tmp_path: Path) -> None:
    smtp_port = free_port()
    env = production_env(static_root, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}")
    with override_settings(EMAIL_BACKEND=QUEUED):
        send_mail("Ihr Vorschlag", "Hallo Lena", None, ["lena@example.org"])
    # A worker took the job and died: its heartbeat stopped five minutes ago.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat)"
            " VALUES (now() - interval '5 minutes') RETURNING id"
        )
        (dead,) = cursor.fetchone()
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s"
            " WHERE task_name = 'outbox.send_email'",
            [dead],
        )
    with SmtpSink(smtp_port) as sink, queue_worker(env, tmp_path) as worker:
        # The check for stalled jobs runs every minute.
        wait_until(lambda: sink.messages, timeout=90, what="the stalled mail", process=worker)
    assert sink.messages[0].rcpt_tos == ["lena@example.org"]
