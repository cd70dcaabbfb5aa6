"""Read replicas against a real hot standby: a throw-away primary with a streaming replica
made by pg_basebackup, gunicorn with DATABASE_REPLICA_URLS in front of them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.deploy.clusters import ROLE, Cluster, Folder
from tests.deploy.conftest import (
    ROOT,
    Client,
    database_url,
    free_port,
    gunicorn,
    production_env,
    production_user,
)
from tests.factories import ProjectFactory, ProposalFactory

PROPOSALS_QUERY = 'FROM "proposals_proposal"'
WRITES = ("INSERT INTO", "UPDATE ", "DELETE FROM")


@pytest.fixture
def primary_and_standby(transactional_db: Any, tmp_path: Path) -> Iterator[tuple[Cluster, Cluster]]:
    """The test database's contents on a primary of our own, and its hot standby."""
    folder = Folder()
    primary = Cluster(folder, "primary", free_port())
    standby = Cluster(folder, "standby", free_port())
    try:
        primary.init()
        primary.start()
        primary.psql(
            "postgres",
            f"CREATE ROLE {ROLE} LOGIN",
            f"CREATE DATABASE {ROLE} OWNER {ROLE}",
        )
        primary.psql(ROLE, "CREATE EXTENSION postgis", "CREATE EXTENSION pg_trgm")
        yield primary, standby
    finally:
        standby.stop("immediate")
        primary.stop("immediate")
        folder.close()


def copy_test_database(primary: Cluster, tmp_path: Path) -> None:
    backup = tmp_path / "copy.dump"
    for target, url in (("backup", database_url()), ("restore", primary.url())):
        subprocess.run(
            ["make", "-s", target, f"BACKUP={backup}"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True, timeout=300,
        )  # fmt: skip


def replica_lag(primary: Cluster, standby: Cluster, proposal_id: int, user_id: int) -> float:
    """Seconds until a vote written on the primary can be read on the standby."""
    query = "SELECT 1 FROM proposals_vote WHERE proposal_id = %s AND user_id = %s"
    started = time.monotonic()
    with psycopg.connect(standby.url().replace("postgis", "postgresql"), autocommit=True) as conn:
        while not conn.execute(query, [proposal_id, user_id]).fetchone():
            assert time.monotonic() - started < 10, "the standby never saw the vote"
            time.sleep(0.001)
    return time.monotonic() - started


def test_reads_go_to_the_replica_writes_and_own_reads_to_the_primary(
    primary_and_standby: tuple[Cluster, Cluster], static_root: Path, tmp_path: Path
) -> None:
    primary, standby = primary_and_standby
    project = ProjectFactory(voting=True)
    proposal = ProposalFactory(project=project)
    lena = production_user(username="lena")
    copy_test_database(primary, tmp_path)
    primary.make_standby(standby)
    standby.start()
    env = production_env(
        static_root,
        DATABASE_URL=primary.url(),
        DATABASE_REPLICA_URLS=standby.url(),
        DJANGO_SECURE_COOKIES="false",
    )
    listing = f"/api/v1/proposals/?project={project.slug}"
    with gunicorn(env, tmp_path) as port:
        base = f"http://127.0.0.1:{port}"

        def read(client: Client) -> tuple[str, str]:
            """Which server's log shows the proposals query of one list request."""
            marks = primary.log_size(), standby.log_size()
            response, body = client.get(listing)
            assert response.status == 200, body[:500]
            assert [f["id"] for f in json.loads(body)["features"]] == [proposal.pk]
            return primary.log_since(marks[0]), standby.log_since(marks[1])

        # An anonymous reader: the replica answers, the primary sees nothing of it.
        on_primary, on_standby = read(Client(base))
        assert PROPOSALS_QUERY in on_standby and PROPOSALS_QUERY not in on_primary

        # Lena signs in and votes: writes go to the primary...
        citizen = Client(base)
        citizen.login("lena")
        marks = primary.log_size(), standby.log_size()
        response, body = citizen.post_json(
            "/api/v1/votes/", json.dumps({"proposal": proposal.pk}).encode()
        )
        assert response.status == 201, body[:500]
        vote_insert = re.compile(r'INSERT INTO "?proposals_vote"?')  # raw SQL or the ORM's
        assert vote_insert.search(primary.log_since(marks[0]))
        assert not vote_insert.search(standby.log_since(marks[1]))
        lag = replica_lag(primary, standby, proposal.pk, lena.pk)
        print(f"replica lag observed: {lag * 1000:.1f} ms")
        # ...and so do her reads right after her own write (the pin cookie).
        assert "mmk_primary" in citizen.cookies
        on_primary, on_standby = read(citizen)
        assert PROPOSALS_QUERY in on_primary and PROPOSALS_QUERY not in on_standby
        # Somebody else still reads from the replica.
        on_primary, on_standby = read(Client(base))
        assert PROPOSALS_QUERY in on_standby and PROPOSALS_QUERY not in on_primary

        # The replica stops: it is skipped, without an error, and the primary answers.
        standby.stop("immediate")
        for _ in range(4):  # each of gunicorn's workers meets its broken connection
            on_primary, _ = read(Client(base))
            assert PROPOSALS_QUERY in on_primary

    # The standby never received a write (it would have refused one, too).
    standby_log = standby.log.read_text(errors="replace")
    statements = [
        line for line in standby_log.splitlines() if "statement:" in line or "execute " in line
    ]
    assert statements and not [s for s in statements if any(w in s for w in WRITES)]
    assert "read-only transaction" not in standby_log
