"""Two app servers on one database behave as one: sessions, rate limits (ours in a table,
allauth's in the database cache) and the mail queue are shared; nothing lives in a process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import (
    Client,
    SmtpSink,
    free_port,
    gunicorn,
    production_env,
    production_user,
    queue_worker,
    wait_until,
)
from tests.factories import ProjectFactory, ProposalFactory


@pytest.mark.django_db(transaction=True)
def test_two_gunicorn_instances_behave_as_one(static_root: Path, tmp_path: Path) -> None:
    lena = production_user(username="lena")
    project = ProjectFactory(voting=True)
    proposals = ProposalFactory.create_batch(3, project=project)
    smtp_port = free_port()
    env = production_env(
        static_root,
        DJANGO_SECURE_COOKIES="false",  # plain HTTP here: no proxy in this test
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        # Day and hour windows: a minute boundary inside the test cannot reset a count.
        RATE_LIMIT_VOTES="2/d",
        RATE_LIMIT_LOGIN="3/h/ip",
    )
    with (
        gunicorn(env, tmp_path) as port_a,
        gunicorn(env, tmp_path) as port_b,
        SmtpSink(smtp_port) as sink,
        queue_worker(env, tmp_path) as worker,
    ):
        a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"

        # A session made by A is valid on B.
        at_a = Client(a)
        at_a.login("lena")  # login 1 of 3 from this address
        at_b = Client(b)
        at_b.cookies = dict(at_a.cookies)
        response, body = at_b.get("/api/v1/votes/")
        assert response.status == 200, body[:300]
        assert Client(b).get("/api/v1/votes/")[0].status == 403  # without it: refused

        # Lena's vote limit (2 a day) counts across both servers.
        def vote(client: Client, proposal: Any) -> int:
            payload = json.dumps({"proposal": proposal.pk}).encode()
            return client.post_json("/api/v1/votes/", payload)[0].status

        assert [vote(at_a, proposals[0]), vote(at_b, proposals[1])] == [201, 201]
        assert vote(at_a, proposals[2]) == 429

        # allauth's login limit per address (3 an hour), kept in the database cache.
        def failed_login(base: str) -> int:
            form = {"login": "lena", "password": "falsch"}
            return Client(base).post_form("/konto/login/", form)[0].status

        assert [failed_login(b), failed_login(a)] == [200, 200]
        assert failed_login(b) == 429

        # Mail queued by either server is delivered by the one worker.
        for base in (a, b):
            response, _ = Client(base).post_form("/konto/password/reset/", {"email": lena.email})
            assert response.status == 302
        wait_until(lambda: len(sink.messages) == 2, timeout=60, what="two mails", process=worker)
        # Each server's readiness sees the one worker (its heartbeat in the shared database).
        for base in (a, b):
            response, body = Client(base).get("/health/ready")
            assert response.status == 200
            assert json.loads(body)["checks"]["jobs"]["workers"] == 1
    assert all(envelope.rcpt_tos == [lena.email] for envelope in sink.messages)
