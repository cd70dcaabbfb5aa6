"""Voting modes, the voting window, paper tallies and results."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from psycopg.pq import TransactionStatus

from audit.models import AuditEntry
from infra import ratelimit
from infra.models import RateCounter
from proposals import rules, services
from proposals.models import PaperTally, Project, Proposal, Vote, VotingMode
from proposals.selectors import current_tallies, my_votes, project_results, with_counts
from proposals.services import tally_record, vote_cast, vote_withdraw
from proposals.views import Ballot
from tests.factories import ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def voting_project(**kwargs) -> Project:
    return ProjectFactory(voting=True, **kwargs)


def options(project: Project, n: int) -> list[Proposal]:
    return [ProposalFactory(project=project, title=f"Option {i}") for i in range(n)]


# --- support -------------------------------------------------------------------------------


def test_support_allows_one_vote_on_each_of_many_proposals(citizen):
    project = voting_project()
    a, b, c = options(project, 3)
    for p in (a, b, c):
        vote_cast(user=citizen, proposal=p)
    assert my_votes(citizen, project) == {a.pk: 1, b.pk: 1, c.pk: 1}
    with pytest.raises(ValidationError):
        vote_cast(user=citizen, proposal=b)
    assert Vote.objects.filter(user=citizen).count() == 3


# --- single choice -------------------------------------------------------------------------


def test_single_choice_moves_the_vote(citizen):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b = options(project, 2)
    vote_cast(user=citizen, proposal=a)
    vote_cast(user=citizen, proposal=b)
    assert my_votes(citizen, project) == {b.pk: 1}


def test_single_choice_same_option_twice_is_refused(citizen):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    (a,) = options(project, 1)
    vote_cast(user=citizen, proposal=a)
    with pytest.raises(ValidationError):
        vote_cast(user=citizen, proposal=a)
    assert Vote.objects.count() == 1


def test_single_choice_is_per_project(citizen):
    first = voting_project(voting_mode=VotingMode.SINGLE)
    second = voting_project(voting_mode=VotingMode.SINGLE)
    (a,) = options(first, 1)
    (b,) = options(second, 1)
    vote_cast(user=citizen, proposal=a)
    vote_cast(user=citizen, proposal=b)
    assert Vote.objects.filter(user=citizen).count() == 2


def test_single_choice_withdraw(citizen):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    (a,) = options(project, 1)
    vote_cast(user=citizen, proposal=a)
    vote_withdraw(user=citizen, proposal=a)
    assert my_votes(citizen, project) == {}


# --- budget --------------------------------------------------------------------------------


def budget_project(n: int, k: int) -> Project:
    return voting_project(voting_mode=VotingMode.BUDGET, votes_per_person=n, max_votes_per_option=k)


def test_budget_caps_votes_per_option_and_per_person(citizen):
    project = budget_project(n=3, k=2)
    a, b, c = options(project, 3)
    vote_cast(user=citizen, proposal=a)
    vote_cast(user=citizen, proposal=a)
    with pytest.raises(ValidationError) as exc:
        vote_cast(user=citizen, proposal=a)  # k = 2 reached
    assert exc.value.error_dict["proposal"][0].code == "option_cap"
    vote_cast(user=citizen, proposal=b)  # 3 of 3
    with pytest.raises(ValidationError) as exc:
        vote_cast(user=citizen, proposal=c)
    assert exc.value.error_dict["proposal"][0].code == "budget_exhausted"
    assert my_votes(citizen, project) == {a.pk: 2, b.pk: 1}


def test_budget_with_cap_one_is_approval_with_a_limit(citizen):
    project = budget_project(n=2, k=1)
    a, b, c = options(project, 3)
    vote_cast(user=citizen, proposal=a)
    with pytest.raises(ValidationError):
        vote_cast(user=citizen, proposal=a)
    vote_cast(user=citizen, proposal=b)
    with pytest.raises(ValidationError):
        vote_cast(user=citizen, proposal=c)


def test_budget_withdraw_returns_one_vote_at_a_time(citizen):
    project = budget_project(n=3, k=3)
    (a,) = options(project, 1)
    for _ in range(3):
        vote_cast(user=citizen, proposal=a)
    vote_withdraw(user=citizen, proposal=a)
    assert my_votes(citizen, project) == {a.pk: 2}
    vote_withdraw(user=citizen, proposal=a)
    vote_withdraw(user=citizen, proposal=a)
    assert my_votes(citizen, project) == {}
    with pytest.raises(ValidationError):
        vote_withdraw(user=citizen, proposal=a)


# --- the window, in Europe/Berlin ----------------------------------------------------------


def test_window_edges_are_judged_in_berlin_time(citizen):
    # Voting closes at midnight Berlin time on the night summer time begins (29 March 2026).
    start = datetime(2026, 3, 20, 9, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    project = ProjectFactory(ideas_start=None, ideas_end=None, voting_start=start, voting_end=end)
    (a,) = options(project, 1)
    with pytest.raises(PermissionDenied):
        vote_cast(user=citizen, proposal=a, now=start - timedelta(microseconds=1))
    vote_cast(user=citizen, proposal=a, now=datetime(2026, 3, 28, 23, 59, 59, tzinfo=BERLIN))
    # 23:00 UTC is midnight in Berlin (CET, +1): closed, although the UTC date is still the 28th.
    closing = datetime(2026, 3, 28, 23, 0, tzinfo=ZoneInfo("UTC"))
    with pytest.raises(PermissionDenied):
        vote_withdraw(user=citizen, proposal=a, now=closing)
    assert Vote.objects.count() == 1


def test_moving_a_vote_after_closing_is_refused(citizen):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b = options(project, 2)
    vote_cast(user=citizen, proposal=a)
    with pytest.raises(PermissionDenied):
        vote_cast(user=citizen, proposal=b, now=project.voting_end + timedelta(seconds=1))
    assert my_votes(citizen, project) == {a.pk: 1}


# --- paper tallies -------------------------------------------------------------------------


def record(planner, project, counts, ballots=10, **kwargs) -> PaperTally:
    return tally_record(
        actor=planner,
        project=project,
        event_name="Lautern blüht auf",
        place="Stiftsplatz",
        event_date=timezone.localdate(),
        ballots=ballots,
        counted_by="Team herzlich digital",
        counts=counts,
        **kwargs,
    )


def test_tally_is_recorded_and_audited(planner_user):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b = options(project, 2)
    tally = record(planner_user, project, {a.pk: 6, b.pk: 3})
    assert {c.proposal_id: c.votes for c in tally.counts.all()} == {a.pk: 6, b.pk: 3}
    entry = AuditEntry.objects.get()
    assert entry.action == "paper_tally.record"
    assert entry.actor == planner_user
    assert entry.after["counts"] == {str(a.pk): 6, str(b.pk): 3}


def test_citizen_cannot_record_a_tally(citizen):
    project = voting_project()
    (a,) = options(project, 1)
    with pytest.raises(PermissionDenied):
        record(citizen, project, {a.pk: 1})


def test_tally_before_voting_starts_is_refused(planner_user):
    project = ProjectFactory()  # collecting ideas
    (a,) = options(project, 1)
    with pytest.raises(PermissionDenied):
        record(planner_user, project, {a.pk: 1})


@pytest.mark.parametrize(
    ("mode", "params", "counts", "ballots"),
    [
        (VotingMode.SINGLE, {}, (6, 5), 10),  # 11 marks on 10 single-choice ballots
        (VotingMode.SUPPORT, {}, (11, 0), 10),  # one option marked more often than ballots
        (VotingMode.BUDGET, {"votes_per_person": 3, "max_votes_per_option": 2}, (21, 0), 10),
        (VotingMode.BUDGET, {"votes_per_person": 3, "max_votes_per_option": 2}, (20, 11), 10),
    ],
    ids=["single-sum", "support-per-option", "budget-per-option", "budget-sum"],
)
def test_paper_votes_never_exceed_what_the_ballots_allow(
    planner_user, mode, params, counts, ballots
):
    project = voting_project(voting_mode=mode, **params)
    a, b = options(project, 2)
    with pytest.raises(ValidationError) as exc:
        record(planner_user, project, {a.pk: counts[0], b.pk: counts[1]}, ballots=ballots)
    assert "counts" in exc.value.message_dict
    assert not PaperTally.objects.exists()
    assert not AuditEntry.objects.exists()


def test_budget_tally_at_the_exact_limit_is_accepted(planner_user):
    project = budget_project(n=3, k=2)
    a, b = options(project, 2)
    # 10 ballots carry 30 marks, at most 20 on one option: exactly at both limits.
    tally = record(planner_user, project, {a.pk: 20, b.pk: 10}, ballots=10)
    assert {c.proposal_id: c.votes for c in tally.counts.all()} == {a.pk: 20, b.pk: 10}
    assert {r.proposal_id: r.paper for r in project_results(project)} == {a.pk: 20, b.pk: 10}
    # One mark more on either limit is refused.
    with pytest.raises(ValidationError):
        record(planner_user, project, {a.pk: 21, b.pk: 9}, ballots=10)
    with pytest.raises(ValidationError):
        record(planner_user, project, {a.pk: 20, b.pk: 11}, ballots=10)


def test_tally_for_an_option_of_another_project_is_refused(planner_user):
    project = voting_project()
    foreign = ProposalFactory()
    with pytest.raises(ValidationError) as exc:
        record(planner_user, project, {foreign.pk: 1})
    assert "counts" in exc.value.message_dict


def test_correction_supersedes_and_keeps_the_history(planner_user):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b = options(project, 2)
    first = record(planner_user, project, {a.pk: 6, b.pk: 3})
    second = record(
        planner_user,
        project,
        {a.pk: 5, b.pk: 4},
        supersedes=first,
        correction_reason="Stimmzettel doppelt gezählt",
    )
    assert list(current_tallies(project)) == [second]
    assert PaperTally.objects.count() == 2  # nothing overwritten
    first.refresh_from_db()
    assert first.counts.get(proposal=a).votes == 6
    entry = AuditEntry.objects.get(action="paper_tally.correct")
    assert entry.before["counts"][str(a.pk)] == 6
    assert entry.after["counts"][str(a.pk)] == 5
    assert entry.reason == "Stimmzettel doppelt gezählt"


def test_correction_needs_a_reason_and_the_latest_version(planner_user):
    project = voting_project()
    (a,) = options(project, 1)
    first = record(planner_user, project, {a.pk: 1})
    with pytest.raises(ValidationError) as exc:
        record(planner_user, project, {a.pk: 2}, supersedes=first)
    assert "correction_reason" in exc.value.message_dict
    record(planner_user, project, {a.pk: 2}, supersedes=first, correction_reason="Nachgezählt")
    with pytest.raises(ValidationError) as exc:
        record(planner_user, project, {a.pk: 3}, supersedes=first, correction_reason="Nochmal")
    assert "supersedes" in exc.value.message_dict


# --- results -------------------------------------------------------------------------------


def test_results_sum_online_and_current_paper_votes_with_ties(planner_user):
    project = voting_project(voting_mode=VotingMode.SINGLE)
    a, b, c = options(project, 3)
    voters = [UserFactory() for _ in range(6)]
    for voter, option in zip(voters, (a, a, a, b, c, c), strict=True):
        vote_cast(user=voter, proposal=option)
    first = record(planner_user, project, {a.pk: 1, b.pk: 9, c.pk: 0}, ballots=10)
    record(
        planner_user,
        project,
        {a.pk: 1, b.pk: 3, c.pk: 2},
        ballots=10,
        supersedes=first,
        correction_reason="Falsch übertragen",
    )
    rows = {r.proposal_id: r for r in project_results(project)}
    assert (rows[a.pk].online, rows[a.pk].paper, rows[a.pk].total) == (3, 1, 4)
    assert (rows[b.pk].online, rows[b.pk].paper, rows[b.pk].total) == (1, 3, 4)
    assert (rows[c.pk].online, rows[c.pk].paper, rows[c.pk].total) == (2, 2, 4)
    assert {r.rank for r in rows.values()} == {1}  # a three-way tie
    assert sum(r.share for r in rows.values()) == pytest.approx(1.0)
    online_in_db = Vote.objects.filter(project=project).aggregate(n=Sum("weight"))["n"]
    assert sum(r.online for r in rows.values()) == online_in_db


def test_results_rank_and_share(planner_user):
    project = budget_project(n=3, k=3)
    a, b = options(project, 2)
    voter = UserFactory()
    for _ in range(3):
        vote_cast(user=voter, proposal=a)
    record(planner_user, project, {b.pk: 1}, ballots=1)
    rows = project_results(project)
    assert [(r.proposal_id, r.rank, r.share) for r in rows] == [(a.pk, 1, 0.75), (b.pk, 2, 0.25)]


def test_results_without_votes_are_zero(planner_user):
    project = voting_project()
    options(project, 1)
    (row,) = project_results(project)
    assert (row.online, row.paper, row.total, row.share, row.rank) == (0, 0, 0, 0.0, 1)


def test_my_votes_show_only_my_own(citizen, other_citizen):
    project = voting_project()
    a, b = options(project, 2)
    vote_cast(user=citizen, proposal=a)
    vote_cast(user=other_citizen, proposal=b)
    assert my_votes(citizen, project) == {a.pk: 1}
    assert my_votes(other_citizen, project) == {b.pk: 1}


# --- when vote counts are public: one rule ----------------------------------------------------


def test_projects_with_public_results_is_may_view_results_over_many(citizen, planner_user):
    now = datetime.now(tz=BERLIN)
    ideas = ProjectFactory()
    live = voting_project(results_visibility=Project.ResultsVisibility.LIVE)
    secret = voting_project(results_visibility=Project.ResultsVisibility.AFTER_CLOSE)
    closed = voting_project(voting_start=now - timedelta(days=2), voting_end=now)
    draft = ProjectFactory(is_published=False)
    projects = Project.objects.all()
    for user in (AnonymousUser(), citizen):
        assert set(rules.projects_with_public_results(user, projects)) == {live.pk, closed.pk}
    assert set(rules.projects_with_public_results(planner_user, projects)) == {
        p.pk for p in (ideas, live, secret, closed, draft)
    }
    for user in (AnonymousUser(), citizen, planner_user):
        assert set(rules.projects_with_public_results(user, projects)) == {
            p.pk for p in projects if rules.may_view_results(user, p)
        }


def test_public_votes_hides_counts_outside_the_public_projects(citizen, planner_user):
    live = voting_project(results_visibility=Project.ResultsVisibility.LIVE)
    secret = voting_project()
    for project in (live, secret):
        vote_cast(user=citizen, proposal=ProposalFactory(project=project))
    for user in (AnonymousUser(), citizen):
        rows = with_counts(Proposal.objects.all()).annotate(
            shown=rules.public_votes(F("vote_count"), user)
        )
        assert {r.project_id: r.shown for r in rows} == {live.pk: 1, secret.pk: None}
    rows = with_counts(Proposal.objects.all()).annotate(
        shown=rules.public_votes(F("vote_count"), planner_user)
    )
    assert {r.project_id: r.shown for r in rows} == {live.pk: 1, secret.pk: 1}


# --- the vote path through the API: lean, one transaction -------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("results", ["secret", "live"])
def test_an_api_vote_takes_four_round_trips_and_one_transaction(
    client, citizen, results, monkeypatch
):
    # Pruning old rate counters (once in 5 minutes per process) is housekeeping, not the vote.
    monkeypatch.setattr(ratelimit, "_next_prune", float("inf"))
    project = voting_project(
        results_visibility=Project.ResultsVisibility.LIVE
        if results == "live"
        else Project.ResultsVisibility.AFTER_CLOSE
    )
    proposal, other = options(project, 2)
    client.force_login(citizen)
    # Every round trip to the database, with the transaction state psycopg saw before it: on
    # an autocommit connection nothing is sent that the wrapper does not see (no implicit
    # BEGIN, no COMMIT of Django's), so this list is the whole conversation.
    seen: list[tuple[str, int]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, connection.connection.info.transaction_status))
        return execute(sql, params, many, context)

    def vote(option: Proposal) -> dict:
        seen.clear()
        with connection.execute_wrapper(record):
            response = client.post(
                "/api/v1/votes/", {"proposal": option.pk}, content_type="application/json"
            )
        assert connection.get_autocommit()
        # Nothing left open: the vote's own COMMIT ended its transaction.
        assert connection.connection.info.transaction_status == TransactionStatus.IDLE
        return {"status": response.status_code, **response.json()}

    def statement(sql: str) -> str:
        """The SQL behind an EXECUTE of one of the vote's prepared statements."""
        if not sql.startswith("EXECUTE "):
            return sql
        name = sql.removeprefix("EXECUTE " + services._PREFIX).split("(")[0]
        return ratelimit._HIT_SQL if name.startswith("count_") else services._VOTE_STATEMENTS[name]

    def check_lean(expected_total: int) -> None:
        listing = "\n".join(f"{i} {state} {sql[:90]}" for i, (sql, state) in enumerate(seen))
        # Session and user (as every signed-in request); then one transaction in two round
        # trips: BEGIN with the rate count, the proposal with its project and the person's
        # address and groups read along with the ballot lock, the proposal held and checked
        # again, my votes -- sent together -- and the insert with COMMIT. The total only where
        # it is public (after the commit: a read). Nothing else: no ORM fetch, no savepoint,
        # no BEGIN or COMMIT of their own.
        assert len(seen) == expected_total, listing
        assert all(state == TransactionStatus.IDLE for _sql, state in seen[:3]), listing
        assert seen[3][1] == TransactionStatus.INTRANS, listing
        together = seen[2][0].split(";\n")
        assert len(together) == 5, listing
        assert together[0] == "BEGIN", listing
        for sql, marker in zip(
            together[1:],
            ["ratecounter", "pg_advisory_xact_lock", "FOR SHARE", "FROM proposals_vote"],
            strict=True,
        ):
            # Sent as EXECUTE of the statement prepared on this connection: not planned anew.
            assert sql.startswith("EXECUTE "), listing
            assert marker in statement(sql), listing
        insert, commit = seen[3][0].split(";\n")
        assert statement(insert).startswith("INSERT INTO proposals_vote"), listing
        assert commit == "COMMIT", listing
        assert not any("SAVEPOINT" in sql for sql, _state in seen), listing
        if results == "live":
            assert "SUM(weight)" in seen[4][0], listing

    expected = 5 if results == "live" else 4
    # A new database connection (as after CONN_MAX_AGE) has none of the vote's statements
    # prepared: its first vote asks which the session holds and prepares them, once.
    connection.close()
    first = vote(proposal)
    assert first["status"] == 201
    assert first["vote_count"] == (1 if results == "live" else None)
    preparing = seen[2:4]
    assert "pg_prepared_statements" in preparing[0][0]
    assert preparing[1][0].count("PREPARE ") == 5
    del seen[2:4]
    check_lean(expected)
    # A refused repeat commits alone (its rate count is kept) and writes nothing else.
    assert vote(proposal)["status"] == 400
    assert [sql for sql, _state in seen[3:]] == ["COMMIT"]
    assert len(seen) == 4
    assert vote(other)["status"] == 201
    check_lean(expected)
    assert Vote.objects.filter(user=citizen).count() == 2
    assert RateCounter.objects.get(key=f"votes:user:{citizen.pk}").count == 3


@pytest.mark.django_db(transaction=True)
def test_a_vote_that_fails_midway_leaves_no_open_transaction(citizen, monkeypatch):
    """A failure between the vote's two round trips (here: the rules raise) rolls its own
    transaction back: nothing is stored, not even the rate count, and the connection is idle."""
    project = voting_project()
    (option,) = options(project, 1)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the rules")

    monkeypatch.setattr(rules, "ballot_refusal", broken)
    with pytest.raises(RuntimeError):
        vote_cast(user=citizen, proposal=option.pk, count=ratelimit.counting("votes", "x"))
    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert not Vote.objects.exists()
    assert not RateCounter.objects.filter(key="votes:x").exists()
    monkeypatch.undo()
    vote_cast(user=citizen, proposal=option.pk)
    assert Vote.objects.filter(user=citizen, proposal=option).exists()


def test_a_vote_prepares_only_the_statements_the_database_session_lacks(citizen):
    project = voting_project()
    first, second = options(project, 2)
    vote_cast(user=citizen, proposal=first)
    # As after a PREPARE whose transaction was rolled back: the session holds the statements,
    # this process does not know. Preparing them again would be an error.
    connection.__dict__.pop("_vote_statements")
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        vote_cast(user=citizen, proposal=second)
    assert any("pg_prepared_statements" in sql for sql in seen), seen
    assert not any("PREPARE " in sql for sql in seen), seen
    assert set(Vote.objects.filter(user=citizen).values_list("proposal", flat=True)) == {
        first.pk,
        second.pk,
    }


@pytest.mark.parametrize(
    ("mode", "params"),
    [
        (VotingMode.SUPPORT, {}),
        (VotingMode.SINGLE, {}),
        (VotingMode.BUDGET, {"votes_per_person": 3, "max_votes_per_option": 2}),
    ],
)
def test_vote_buttons_offer_exactly_the_votes_vote_cast_accepts(citizen, mode, params):
    project = voting_project(voting_mode=mode, **params)
    a, b = options(project, 2)
    for option in (a, a, a, b, b, a, b):
        box = Ballot.of(citizen, project).box(citizen, option)
        offered = box is not None and box.cast_label is not None
        try:
            vote_cast(user=citizen, proposal=option)
            accepted = True
        except ValidationError:
            accepted = False
        assert offered == accepted, (option.title, my_votes(citizen, project))


def test_results_pages_put_together_are_the_whole_ranking(planner_user):
    project = voting_project()
    opts = [ProposalFactory(project=project, title=t) for t in ("E", "D", "C", "B", "A", "F")]
    for option, n in zip(opts, (2, 1, 0, 0, 0, 0), strict=True):
        for _ in range(n):
            vote_cast(user=UserFactory(), proposal=option)
    # A paper count of 0 makes no option "voted": it sorts among the others without votes.
    record(planner_user, project, {opts[2].pk: 0, opts[3].pk: 1}, ballots=1)
    whole = project_results(project)
    expected = [("E", 2, 1, False), ("B", 1, 2, True), ("D", 1, 2, True)]
    expected += [(t, 0, 4, True) for t in ("A", "C", "F")]
    assert [(r.title, r.total, r.rank, r.tied) for r in whole] == expected
    assert (whole.options, whole.online, whole.paper, whole.total) == (6, 3, 1, 4)
    for size in (1, 2, 4):
        pages = [project_results(project, limit=size, offset=o) for o in range(0, 8, size)]
        assert [r for page in pages for r in page] == whole.rows
        assert {(p.options, p.online, p.paper) for p in pages} == {(6, 3, 1)}
    # An option hidden by moderation leaves the ranking with its votes.
    Proposal.objects.filter(pk=opts[0].pk).update(visibility=Proposal.Visibility.HIDDEN)
    hidden = project_results(project, limit=2)
    assert [(r.title, r.rank) for r in hidden] == [("B", 1), ("D", 1)]
    assert (hidden.options, hidden.online, hidden.paper) == (5, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_vote_from_the_page_is_counted_in_the_votes_own_transaction(
    client, citizen, monkeypatch, settings
):
    monkeypatch.setattr(ratelimit, "_next_prune", float("inf"))
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "votes": "1/1000d"}  # no window edge
    project = voting_project()
    first, second = options(project, 2)
    client.force_login(citizen)
    seen: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, not connection.get_autocommit()))
        return execute(sql, params, many, context)

    def vote(option: Proposal) -> int:
        url = reverse("proposals:vote-new", kwargs={"slug": project.slug, "pk": option.pk})
        seen.clear()
        with connection.execute_wrapper(record):
            return client.post(url).status_code

    assert vote(first) == 302
    counts = [sql for sql, _inside in seen if "EXECUTE mitmach_vote_count_" in sql]
    # One statement sent with the ballot lock, in the vote's transaction (its BEGIN goes along):
    # no commit of its own.
    assert len(counts) == 1, seen
    assert counts[0].startswith("BEGIN;\n"), seen
    assert "EXECUTE mitmach_vote_read_and_lock(" in counts[0]
    # Beyond the limit: the page's 429, nothing voted, and the count is kept all the same.
    assert vote(second) == 429
    assert list(Vote.objects.filter(user=citizen).values_list("proposal", flat=True)) == [first.pk]
    assert RateCounter.objects.get(key=f"votes:user:{citizen.pk}").count == 2
    # Not signed in: nothing to cast, counted alone (by address), as every write.
    client.logout()
    assert vote(first) == 302
    assert RateCounter.objects.filter(key__startswith="votes:ip:").get().count == 1
