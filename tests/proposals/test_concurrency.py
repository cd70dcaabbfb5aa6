"""The voting rules hold when one account sends many requests at once.

Each thread has its own database connection (Django's connections are per thread), and a barrier
releases them together, so the transactions really overlap in PostgreSQL.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from proposals.models import PaperTally, Proposal, Vote, VotingMode
from proposals.services import tally_record, vote_cast
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 12


def run_at_once(tasks: list[Callable[[], object]]) -> tuple[int, int]:
    """Run the tasks in parallel, starting together; count successes and refusals."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], object]) -> bool:
        try:
            barrier.wait()
            task()
            return True
        except ValidationError:
            return False
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        results = list(pool.map(run, tasks))
    return results.count(True), results.count(False)


def options(project, n: int) -> list[Proposal]:
    return [ProposalFactory(project=project) for _ in range(n)]


def test_support_parallel_votes_on_one_proposal_count_once():
    project = ProjectFactory(voting=True)
    (a,) = options(project, 1)
    user = UserFactory()
    ok, refused = run_at_once([lambda: vote_cast(user=user, proposal=a)] * THREADS)
    assert (ok, refused) == (1, THREADS - 1)
    assert Vote.objects.filter(user=user).count() == 1


def test_single_choice_parallel_votes_leave_exactly_one_choice():
    project = ProjectFactory(voting=True, voting_mode=VotingMode.SINGLE)
    choices = options(project, 4)
    user = UserFactory()
    tasks = [lambda p=choices[i % 4]: vote_cast(user=user, proposal=p) for i in range(THREADS)]
    ok, _refused = run_at_once(tasks)
    assert ok >= 1
    assert Vote.objects.filter(user=user, project=project).count() == 1


def test_budget_parallel_votes_never_exceed_the_budget_or_the_cap():
    project = ProjectFactory(
        voting=True, voting_mode=VotingMode.BUDGET, votes_per_person=3, max_votes_per_option=2
    )
    a, b = options(project, 2)
    user = UserFactory()
    tasks = [lambda p=(a if i % 2 else b): vote_cast(user=user, proposal=p) for i in range(THREADS)]
    ok, refused = run_at_once(tasks)
    assert (ok, refused) == (3, THREADS - 3)
    votes = Vote.objects.filter(user=user, project=project)
    assert votes.aggregate(n=Sum("weight"))["n"] == 3
    assert max(votes.values_list("weight", flat=True)) <= 2


def test_parallel_corrections_of_one_tally_keep_a_linear_history():
    project = ProjectFactory(voting=True, voting_mode=VotingMode.SINGLE)
    (a,) = options(project, 1)
    planners = [planner() for _ in range(4)]
    first = tally_record(
        actor=planners[0],
        project=project,
        event_name="Fest",
        event_date=timezone.localdate(),
        ballots=10,
        counted_by="Team",
        counts={a.pk: 5},
    )

    def correct(person, votes: int):
        return lambda: tally_record(
            actor=person,
            project=project,
            event_name="Fest",
            event_date=timezone.localdate(),
            ballots=10,
            counted_by="Team",
            counts={a.pk: votes},
            supersedes=first,
            correction_reason="Nachgezählt",
        )

    ok, refused = run_at_once([correct(p, 6 + i) for i, p in enumerate(planners)])
    assert (ok, refused) == (1, 3)
    assert PaperTally.objects.filter(project=project).count() == 2
    assert PaperTally.objects.filter(superseded_by__isnull=True, project=project).count() == 1


def waiting_lock(pid: int, timeout: float = 10) -> str | None:
    """The kind of lock the backend `pid` waits for, once it waits (None if it never does)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT locktype FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
            row = cursor.fetchone()
            if row is not None:
                return str(row[0])
            time.sleep(0.01)
    return None


def test_a_vote_waiting_on_a_merge_is_refused_once_the_merge_commits():
    from proposals import review

    project = ProjectFactory(voting=True)
    source, target = options(project, 2)
    boss = planner()
    voter = UserFactory()
    merged = threading.Event()
    fetched = threading.Event()
    may_commit = threading.Event()
    vote_pid: list[int] = []
    outcome: list[object] = []

    def merge() -> None:
        try:
            with transaction.atomic():
                review.proposal_merge(actor=boss, source=source, target=target)
                merged.set()
                may_commit.wait(10)  # holds the proposal rows while the vote arrives
        finally:
            connections.close_all()

    def vote() -> None:
        merged.wait(10)
        try:
            stale = Proposal.objects.get(pk=source.pk)  # still published: the merge is open
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                vote_pid.append(cursor.fetchone()[0])
            fetched.set()
            vote_cast(user=voter, proposal=stale)
            outcome.append("stored")
        except ValidationError as exc:
            outcome.append(exc.error_dict["proposal"][0].code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=merge), threading.Thread(target=vote)]
    for t in threads:
        t.start()
    assert fetched.wait(10)
    # The vote waits for the merge's row lock (the proposal, not a ballot: the voter has none).
    assert waiting_lock(vote_pid[0]) in ("transactionid", "tuple")
    assert outcome == []
    may_commit.set()
    for t in threads:
        t.join(20)
    assert outcome == ["not_open"]
    assert not Vote.objects.filter(proposal=source).exists()
