"""Changing a project's voting rules and casting a vote at the same moment: the check is exact.

Each thread has its own database connection; the vote's transaction is held open while the
change arrives, and PostgreSQL's pg_locks shows the change waiting for it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from proposals.models import Project, VotingMode
from proposals.services import project_update, vote_cast
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db(transaction=True)


def waits_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [pid]
        )
        return bool(cursor.fetchone()[0])


def test_a_rule_change_waits_for_a_vote_in_progress_then_refuses() -> None:
    project = ProjectFactory(voting=True)
    option = ProposalFactory(project=project)
    boss, voter = planner(), UserFactory()
    voted, may_commit = threading.Event(), threading.Event()
    pids: list[int] = []
    outcome: list[Any] = []

    def vote() -> None:
        try:
            with transaction.atomic():
                vote_cast(user=voter, proposal=option)
                voted.set()
                may_commit.wait(10)  # the vote is cast, not yet committed
        finally:
            connections.close_all()

    def change() -> None:
        voted.wait(10)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            project_update(actor=boss, project=project, changes={"voting_mode": VotingMode.SINGLE})
            outcome.append("changed")
        except ValidationError as exc:
            outcome.append(sorted(exc.message_dict))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote), threading.Thread(target=change)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while not (pids and waits_for_a_lock(pids[0])) and time.monotonic() < deadline:
        time.sleep(0.02)
    waited = bool(pids) and waits_for_a_lock(pids[0])
    may_commit.set()
    for t in threads:
        t.join(20)

    assert waited  # the change waited for the open vote instead of missing it
    assert outcome == [["voting_mode"]]
    project.refresh_from_db()
    assert project.voting_mode == VotingMode.SUPPORT
    assert Project.objects.get(pk=project.pk).votes.count() == 1
