"""Write use cases of participation: each validates, checks its rule, and stores all or nothing."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.selectors import EMAIL_CONFIRMED_SQL, remember_email_confirmed
from accounts.types import Person, signed_in
from audit.services import log_action
from geo.validation import as_storage_point
from infra import ratelimit
from infra.images import CleanImage
from locations.models import Site
from proposals import rules
from proposals.alerts import services as alerts
from proposals.errors import refusal as _refusal
from proposals.models import (
    Category,
    Comment,
    PaperTally,
    PaperTallyCount,
    Project,
    Proposal,
    ProposalPhoto,
    Vote,
    VotingMode,
)
from proposals.photos import (
    NewPhoto,
    delete_files_on_commit,
    discard_files,
    photo_files,
    project_image_changes,
    store_photos,
)
from proposals.selectors import current_tallies

M = TypeVar("M", bound=Model)


@transaction.atomic
def proposal_create(
    *,
    author: Person,
    project: Project,
    title: str,
    description: str = "",
    location: GEOSGeometry | None = None,
    category: Category | None = None,
    site: Site | None = None,
    photos: Sequence[NewPhoto] = (),
    now: datetime | None = None,
) -> Proposal:
    """A citizen's pin (with a location), or a planner's option at a site (at the site's point);
    with its photos, all stored or none. A pending proposal's photos wait with it."""
    if site is not None:
        rules.may_post_option.enforce(author, project, now)
        point = site.location
    else:
        rules.may_add_proposal.enforce(author, project, now)
        point = as_storage_point(location)
    check_place_and_category(project, point, category)
    pre_moderated = project.moderation == Project.Moderation.PRE and not rules.is_planner(author)
    proposal = Proposal(
        project=project,
        site=site,
        title=title.strip(),
        description=description.strip(),
        category=category,
        location=point,
        author=signed_in(author),
        visibility=Proposal.Visibility.PENDING if pre_moderated else Proposal.Visibility.PUBLISHED,
    )
    proposal.full_clean()
    proposal.save()
    store_photos(proposal, author, photos)
    alerts.author_follow(proposal)
    if proposal.visibility == Proposal.Visibility.PUBLISHED:
        alerts.proposal_published(proposal)
    return proposal


@transaction.atomic
def proposal_update(
    *,
    user: Person,
    proposal: Proposal,
    title: str,
    description: str = "",
    location: GEOSGeometry | None = None,
    category: Category | None = None,
    photos: Sequence[NewPhoto] = (),
    now: datetime | None = None,
) -> Proposal:
    """The author changes their own pin while nobody has voted on or commented on it yet (and
    may add photos up to the limit)."""
    # Locked, so a vote or comment arriving meanwhile waits and the rule sees the latest state.
    proposal = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    rules.may_edit_proposal.enforce(user, proposal, now)
    project = proposal.project
    point = as_storage_point(location)
    check_place_and_category(project, point, category)
    proposal.title = title.strip()
    proposal.description = description.strip()
    proposal.category = category
    proposal.location = point
    proposal.full_clean()
    proposal.save()
    store_photos(proposal, user, photos)
    return proposal


def check_place_and_category(project: Project, point: Any, category: Category | None) -> None:
    """A proposal's category belongs to its project, and its point lies in the perimeter."""
    if category is not None and category.project_id != project.pk:
        raise _refusal("category", _("This category does not belong to the project."), "invalid")
    # Asked of PostGIS, against the stored perimeter, so the map, the API and this check agree.
    if not Project.objects.filter(pk=project.pk, perimeter__covers=point).exists():
        raise _refusal(
            "location",
            _("The place lies outside the project's area. Choose a place inside it."),
            "outside_perimeter",
        )


# What the admin's project form edits. Workflow state (votes, tallies, proposals) is not here.
PROJECT_FIELDS = (
    "title",
    "slug",
    "summary",
    "body",
    "is_published",
    "perimeter",
    "ideas_start",
    "ideas_end",
    "voting_start",
    "voting_end",
    "allow_citizen_pins",
    "moderation",
    "voting_mode",
    "votes_per_person",
    "max_votes_per_option",
    "results_visibility",
    "office",
    "image_alt",
)
# Cast votes mean what these said when they were cast.
VOTING_RULES = ("voting_mode", "votes_per_person", "max_votes_per_option")


def project_rule_errors(project: Project, changes: Mapping[str, Any]) -> dict[str, list[str]]:
    """Changes that are no longer allowed, per field: the voting mode and its limits stay fixed
    once anyone voted, online or on paper (a vote cast under "support" is not a budget vote).

    Compared with the stored project, so an instance a form has already changed is fine.
    """
    if project.pk is None:
        return {}
    stored = Project.objects.filter(pk=project.pk).values(*VOTING_RULES).get()
    changed = [f for f in VOTING_RULES if f in changes and changes[f] != stored[f]]
    if not changed:
        return {}
    if not (
        Vote.objects.filter(project_id=project.pk).exists()
        or PaperTally.objects.filter(project_id=project.pk).exists()
    ):
        return {}
    message = _(
        "Votes have been cast in this project; the voting mode and its limits can no longer change."
    )
    return {field: [message] for field in changed}


@transaction.atomic
def project_create(
    *, actor: Person, values: Mapping[str, Any], image: CleanImage | None = None
) -> Project:
    """A planner sets up a project (the admin), optionally with its image; audited."""
    if not rules.is_planner(actor):
        raise PermissionDenied(_("Only the city's planners may set up projects."))
    _check_project_fields(values)
    project = Project(**values)
    files = project_image_changes(project, image)
    for field, name in files.items():
        setattr(project, field, name)
    try:
        project.full_clean()
    except ValidationError:
        discard_files(files.values())
        raise
    project.save()
    log_action(
        actor=actor,
        action="project.create",
        obj=project,
        project=project,
        after=_project_snapshot(project, [*values, *files.keys() - {"image_thumbnail"}]),
    )
    return project


@transaction.atomic
def project_update(
    *,
    actor: Person,
    project: Project,
    changes: Mapping[str, Any],
    image: CleanImage | bool | None = None,
) -> Project:
    """A planner changes a project's settings (the admin); audited with before and after.

    `image`: a new picture (from infra.images.clean_image), False to remove it, None to keep
    it; its description (`image_alt`) is required while there is one.
    Refuses to change the voting mode or its limits once votes exist (`project_rule_errors`).
    """
    rules.may_moderate.enforce(actor, project)
    _check_project_fields(changes)
    if any(field in changes for field in VOTING_RULES):
        _hold_the_vote(project)
    # Locked, so two planners' edits (or a correction of the rules) do not interleave.
    locked = Project.objects.select_for_update().get(pk=project.pk)
    errors = project_rule_errors(locked, changes)
    files = project_image_changes(locked, image)
    changes = {**changes, **files}
    before = _project_snapshot(locked, changes)
    for field, value in changes.items():
        setattr(locked, field, value)
    try:
        locked.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        discard_files(files.values())
        raise ValidationError(errors)
    locked.save()
    after = _project_snapshot(locked, changes)
    changed = [f for f in changes if before[f] != after[f]]
    if changed:
        log_action(
            actor=actor,
            action="project.update",
            obj=locked,
            project=locked,
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )
    for field in changes:
        setattr(project, field, getattr(locked, field))
    return locked


def _hold_the_vote(project: Project) -> None:
    """Hold the project's options and paper records until this transaction ends, so the check
    for votes is exact: a vote holds its option FOR SHARE (vote_cast) and a paper record the
    project's tally lock (tally_record); one in progress is waited for, then seen; one arriving
    later waits, then counts under the new rules, which no vote contradicted.

    Taken before the project's row: a vote's or record's deferred foreign-key check locks
    that row when it commits, so holding it while waiting for them would deadlock.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"tally:{project.pk}"]
        )
        cursor.execute(
            "SELECT id FROM proposals_proposal WHERE project_id = %s ORDER BY id FOR UPDATE",
            [project.pk],
        )


def _check_project_fields(values: Mapping[str, Any]) -> None:
    # The image's files are set from the picture the service is given, never by name.
    unknown = sorted(set(values) - set(PROJECT_FIELDS))
    if unknown:
        raise ValueError(f"Not project settings: {', '.join(unknown)}")


def _project_snapshot(project: Project, fields: Any) -> dict[str, Any]:
    """The named settings as JSON values for the audit log (the perimeter as GeoJSON)."""
    snapshot: dict[str, Any] = {}
    for field in fields:
        value = getattr(project, field)
        if field == "perimeter":
            value = value.geojson if value is not None else None
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif field in ("image", "image_thumbnail"):
            value = getattr(value, "name", value) or ""
        snapshot[field] = value
    return snapshot


@transaction.atomic
def proposal_delete(*, user: Person, proposal: Proposal, now: datetime | None = None) -> None:
    """The author takes back their own pin while nobody has voted on or commented on it yet."""
    proposal = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    rules.may_delete_proposal.enforce(user, proposal, now)
    delete_files_on_commit(photo_files(ProposalPhoto.objects.filter(proposal=proposal)))
    proposal.delete()


@transaction.atomic
def comment_create(
    *,
    author: Person,
    proposal: Proposal,
    body: str,
    parent: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    rules.may_comment.enforce(author, proposal, now)
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise _refusal(
                "parent", _("You can only reply to a comment on the same proposal."), "invalid"
            )
        if parent.parent_id is not None:
            # One level of replies keeps discussions readable (and the page simple to navigate).
            raise _refusal(
                "parent",
                _("Replies to replies are not possible; reply to the first comment."),
                "nested",
            )
        if parent.is_hidden:
            raise _refusal(
                "parent", _("This comment was hidden by moderation; it takes no replies."), "hidden"
            )
    comment = Comment(
        proposal=proposal,
        parent=parent,
        author=signed_in(author),
        body=body.strip(),
        # The city's staff speak for the office: the comment shows the project's office, and
        # keeps doing so if the person's role changes later.
        is_official=rules.is_planner(author),
    )
    comment.full_clean()
    comment.save()
    return comment


def vote_cast(
    *,
    user: Person,
    proposal: Proposal | int,
    now: datetime | None = None,
    count: ratelimit.Count | None = None,
) -> Vote:
    """One vote for `proposal` under its project's voting mode.

    support: one vote per proposal. single: one option per project; casting another moves it.
    budget: N votes per project, at most k on one option; each call adds one.
    The person's ballot in this project is locked for the transaction, so parallel requests of
    one account are serialised and can never exceed a limit; the unique constraint on
    (user, proposal) backs this up in the database.

    `proposal` is the proposal as the caller has it (a page), or its id (the API): then it is
    read in the same round trip as the locks, and one the person may not see is refused as if
    it did not exist. `count` is the request's rate count (`infra.ratelimit.counting`), made in
    the vote's transaction: beyond the limit nothing else happens, the count stays and
    `ratelimit.Exceeded` is raised.

    One transaction, one commit (or the caller's transaction when there is one), and two round
    trips: BEGIN with the count, locks and reads, then the write with COMMIT (a database
    connection's first vote prepares these statements first, in two more round trips, once). A
    refusal writes nothing and is committed on its own, so the count is kept and no savepoint
    is needed.
    """
    account = signed_in(user)
    if connection.in_atomic_block or not connection.get_autocommit():
        with transaction.atomic(savepoint=False):  # the caller's transaction: its commit
            outcome = _cast_locked(account, proposal, now, count, _NO_TRANSACTION)
    else:
        outcome = _cast_in_own_transaction(account, proposal, now, count)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclass(frozen=True)
class _Transaction:
    """The transaction control a vote's SQL carries: none (the caller's atomic block holds the
    transaction, and psycopg sent its BEGIN), or its own BEGIN and COMMIT sent along with the
    first and last statements, which saves psycopg's BEGIN and Django's COMMIT a round trip
    each on the hottest write (issue 15)."""

    begin: tuple[str, ...]
    commit: str


_NO_TRANSACTION = _Transaction((), "")
_OWN_TRANSACTION = _Transaction(("BEGIN",), ";\nCOMMIT")


def _cast_in_own_transaction(
    user: User, given: Proposal | int, now: datetime | None, count: ratelimit.Count | None
) -> Vote | Exception:
    """The vote in a transaction of its own on an autocommit connection: BEGIN goes with the
    locks and reads, COMMIT with the write (or alone after a refusal, to keep the count).

    Whatever goes wrong in between (a database error, a bug) rolls the transaction back before
    it is raised: the connection goes back to Django idle, as an atomic block would leave it.
    """
    connection.ensure_connection()
    try:
        outcome = _cast_locked(user, given, now, count, _OWN_TRANSACTION)
        if isinstance(outcome, Exception):
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    except BaseException:
        if connection.connection is not None and connection.connection.info.transaction_status:
            with contextlib.suppress(Exception):  # a lost connection is Django's to discard
                connection.connection.rollback()
        raise
    return outcome


# The vote path is the hottest write: its statements are written out (no ORM compilation per
# vote) and sent together. One round trip: the rate count; the proposal and its project as they
# are, with what the rules need of the person, and the ballot lock; the proposal held and checked
# again; this person's votes in the project. Each statement of a round trip sees what committed
# before it began (READ COMMITTED): the last two run after both locks are held, so they see a
# merge or another vote of this person that the locks waited for.
_PROJECT_FIELDS = [
    "id",
    "is_published",
    "ideas_start",
    "ideas_end",
    "voting_start",
    "voting_end",
    "voting_mode",
    "votes_per_person",
    "max_votes_per_option",
    "results_visibility",
]
_PROPOSAL_FIELDS = ["id", "project_id", "visibility", "author_id", "merged_into_id"]
_READ_AND_LOCK_SQL = (
    "SELECT "  # noqa: S608 -- column names and SQL of ours; the values are parameters
    + ", ".join(f"j.{f}" for f in _PROJECT_FIELDS)
    + ", p.visibility, p.author_id, p.merged_into_id"
    + f", {EMAIL_CONFIRMED_SQL}, {rules.GROUP_NAMES_SQL}"
    + ", pg_advisory_xact_lock(hashtextextended('ballot:' || p.project_id || ':' || %s, 0))"
    " FROM proposals_proposal AS p JOIN proposals_project AS j ON j.id = p.project_id"
    " WHERE p.id = %s"
)
# A planner's merge or hiding locks the row FOR UPDATE; a vote arriving meanwhile waits here,
# then sees the committed state, so it never lands on a proposal that just left the vote. FOR
# SHARE: voters do not wait for each other.
_RECHECK_SQL = "SELECT visibility, merged_into_id FROM proposals_proposal WHERE id = %s FOR SHARE"
_MY_VOTES_SQL = (
    "SELECT proposal_id, weight FROM proposals_vote WHERE user_id = %s"
    " AND project_id = (SELECT project_id FROM proposals_proposal WHERE id = %s)"
)
_INSERT_VOTE_SQL = (
    "INSERT INTO proposals_vote (project_id, proposal_id, user_id, weight, created_at)"
    " VALUES (%s, %s, %s, 1, %s) RETURNING id"
)
# Moving a single choice: the earlier choice goes in the same statement as the new one comes.
_MOVE_VOTE_SQL = (
    "WITH gone AS (DELETE FROM proposals_vote WHERE project_id = %s AND user_id = %s)"
    " INSERT INTO proposals_vote (project_id, proposal_id, user_id, weight, created_at)"
    " VALUES (%s, %s, %s, 1, %s) RETURNING id"
)
_ADD_WEIGHT_SQL = (
    "UPDATE proposals_vote SET weight = weight + 1 WHERE user_id = %s AND proposal_id = %s"
    " RETURNING id, weight, created_at"
)


# The fixed statements of a vote run as server-side prepared statements: planning the lock
# statement and its neighbours anew on every vote cost about as much server time as everything
# else the vote does (issue 15), and Django's psycopg backend binds on the client, so it never
# prepares. They are prepared once per database connection (in the vote's own round trips, see
# `_prepare_on`) and sent as EXECUTE with the parameters Django binds as usual: the same
# statements, locks and transaction, only not re-planned.
_VOTE_STATEMENTS = {
    "read_and_lock": _READ_AND_LOCK_SQL,
    "recheck": _RECHECK_SQL,
    "my_votes": _MY_VOTES_SQL,
    "insert": _INSERT_VOTE_SQL,
}
_PREFIX = "mitmach_vote_"


def _prepared(name: str, arity: int) -> str:
    return f"EXECUTE {_PREFIX}{name}({', '.join(['%s'] * arity)})"


def _as_prepare(name: str, sql: str) -> str:
    parts = sql.split("%s")
    numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
    return f"PREPARE {_PREFIX}{name} AS {numbered}"


def _prepare_on(cursor: Any, extra: Mapping[str, str]) -> None:
    """Prepare the vote's statements on this database connection unless they are already.

    Kept per psycopg connection: a reconnect (CONN_MAX_AGE, a lost connection) is a new one,
    so it prepares again. Which statements the server session holds is asked, not assumed: a
    PREPARE outlives the rollback of its transaction, and one sent twice is an error.
    """
    raw = connection.connection
    statements = {**_VOTE_STATEMENTS, **extra}
    on, names = connection.__dict__.get("_vote_statements", (None, frozenset()))
    if on is raw and names >= statements.keys():
        return
    cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE %s", [_PREFIX + "%"])
    held = {name for (name,) in cursor.fetchall()}
    missing = [name for name in statements if _PREFIX + name not in held]
    if missing:
        cursor.execute(";\n".join(_as_prepare(name, statements[name]) for name in missing))
    connection.__dict__["_vote_statements"] = (raw, frozenset(statements))


def _cast_locked(
    user: User,
    given: Proposal | int,
    now: datetime | None,
    count: ratelimit.Count | None,
    control: _Transaction,
) -> Vote | Exception:
    """The vote under the ballot lock; a refusal is returned (nothing written), not raised."""
    pk = given.pk if isinstance(given, Proposal) else given
    statements = [_prepared("read_and_lock", 4), _prepared("recheck", 1), _prepared("my_votes", 2)]
    params: list[Any] = [user.pk, user.pk, user.pk, pk, pk, user.pk, pk]
    with connection.cursor() as cursor:
        extra: dict[str, str] = {}
        if count is not None:
            # Named by its text, so a different counting statement is never run by this name.
            name = f"count_{zlib.crc32(count.sql.encode()):08x}"
            statements.insert(0, _prepared(name, len(count.params)))
            params[:0] = count.params
            extra[name] = count.sql
        _prepare_on(cursor, extra)
        cursor.execute(";\n".join([*control.begin, *statements]), params)
        for _begin in control.begin:
            cursor.nextset()
        if count is not None:
            (counted,) = cursor.fetchone()
            cursor.nextset()
            if (retry_after := count.retry_after(counted)) is not None:
                return ratelimit.Exceeded(retry_after)
        row = cursor.fetchone()
        cursor.nextset()
        held = cursor.fetchone()
        cursor.nextset()
        mine: dict[int, int] = dict(cursor.fetchall())
    if row is not None:  # what the rules ask of the person, read along: no queries of theirs
        remember_email_confirmed(user, row[-3])
        rules.remember_groups(user, row[-2])
    if isinstance(given, Proposal):
        proposal = given  # the rules judge what the caller saw; the row is checked again below
    elif row is None or not rules.may_view_proposal(user, proposal := _proposal_from(row, pk)):
        return _refusal(
            "proposal",
            _("There is no proposal with the id {pk_value}.").format(pk_value=pk),
            "does_not_exist",
        )
    if (reason := rules.may_vote.reason(user, proposal, now)) is not None:
        return PermissionDenied(reason)
    if held is None or held[0] != Proposal.Visibility.PUBLISHED or held[1] is not None:
        return _refusal("proposal", _("This proposal no longer takes votes."), "not_open")
    project = proposal.project
    refusal = rules.ballot_refusal(project, mine, pk)
    if refusal is not None:
        return _refusal("proposal", refusal.message, refusal.code)
    if pk in mine:  # budget mode: one more vote on an option of mine
        with connection.cursor() as cursor:
            cursor.execute(_ADD_WEIGHT_SQL + control.commit, [user.pk, pk])
            vote_pk, weight, created_at = cursor.fetchone()
        return _vote(vote_pk, user, proposal, weight=weight, created_at=created_at)
    if project.voting_mode == VotingMode.SINGLE and mine:
        return _store_vote(_MOVE_VOTE_SQL + control.commit, [project.pk, user.pk], user, proposal)
    return _store_vote(_prepared("insert", 4) + control.commit, [], user, proposal)


def _proposal_from(row: tuple[Any, ...], pk: int) -> Proposal:
    """The proposal and its project from the lock statement's row, with the fields the rules
    read (others are deferred: reading one would cost a query, and the query count test says)."""
    width = len(_PROJECT_FIELDS)
    project = _partial(Project, dict(zip(_PROJECT_FIELDS, row[:width], strict=True)))
    values = dict(zip(_PROPOSAL_FIELDS, [pk, project.pk, *row[width : width + 3]], strict=True))
    proposal = _partial(Proposal, values)
    proposal.project = project
    return proposal


def _partial(model: type[M], values: dict[str, Any]) -> M:
    """An instance as if fetched with only these columns (Django wants them in field order)."""
    ordered = [values[f.attname] for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", values, ordered)


def _store_vote(sql: str, before: list[Any], user: User, proposal: Proposal) -> Vote:
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*before, proposal.project_id, proposal.pk, user.pk, created_at])
        (pk,) = cursor.fetchone()
    return _vote(pk, user, proposal, weight=1, created_at=created_at)


def _vote(pk: int, user: User, proposal: Proposal, *, weight: int, created_at: datetime) -> Vote:
    vote = Vote(
        pk=pk,
        project=proposal.project,
        proposal=proposal,
        user=user,
        weight=weight,
        created_at=created_at,
    )
    vote._state.adding = False  # a stored row, as if fetched
    vote._state.db = "default"
    return vote


def vote_withdraw(*, user: Person, proposal: Proposal, now: datetime | None = None) -> None:
    """Take back one vote (budget mode) or the vote (the other modes) while voting is open."""
    rules.may_vote.enforce(user, proposal, now)
    with transaction.atomic():
        _lock_ballot(proposal.project, user)
        vote = Vote.objects.filter(user=signed_in(user), proposal=proposal).first()
        if vote is None:
            raise _refusal("proposal", _("You have not voted for this proposal."), "no_vote")
        if vote.weight > 1:
            vote.weight = F("weight") - 1
            vote.save(update_fields=["weight"])
        else:
            vote.delete()


def _lock_ballot(project: Project, user: Person) -> None:
    """Serialise one person's votes in one project (a transaction-scoped advisory lock).

    A row lock would need a row that exists before the first vote; this lock needs none and
    is released by commit or rollback.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"ballot:{project.pk}:{user.pk}"],
        )


def votes_per_ballot(project: Project, options: int) -> int:
    """How many marks one paper ballot may carry under the project's voting mode."""
    if project.voting_mode == VotingMode.SINGLE:
        return 1
    if project.voting_mode == VotingMode.BUDGET:
        return project.votes_per_person or 0
    return options  # support: one mark per option


@transaction.atomic
def tally_record(
    *,
    actor: Person,
    project: Project,
    event_name: str,
    event_date: date,
    ballots: int,
    counted_by: str,
    counts: Mapping[int, int],
    place: str = "",
    note: str = "",
    supersedes: PaperTally | None = None,
    correction_reason: str = "",
    separate_count: bool = False,
    now: datetime | None = None,
) -> PaperTally:
    """Record paper ballots of one event, or correct an earlier record by superseding it.

    `counts` maps proposal ids (the options) to votes. Nothing is overwritten: a correction is a
    new record pointing at the one it replaces, with who and why, so the history stays complete.
    The date lies in the voting period (a date outside it needs a note saying why the ballots
    count); a second record of the same event, place and date is refused unless
    `separate_count` confirms it is another count (e.g. a second ballot box), not the same
    sheet typed in twice.
    """
    rules.may_record_tally.enforce(actor, project, now)
    # One project's records are serialised, so the duplicate check below is exact.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"tally:{project.pk}"]
        )
    errors: dict[str, list[str]] = {}
    date_error = _tally_date_error(project, event_date, note, now)
    if date_error:
        errors["event_date"] = [date_error]
    options = dict(
        Proposal.objects.filter(
            project=project, visibility=Proposal.Visibility.PUBLISHED
        ).values_list("pk", "title")
    )
    unknown = sorted(set(counts) - set(options))
    if unknown:
        errors["counts"] = [
            _("These are not options of this project: %(ids)s.")
            % {"ids": ", ".join(map(str, unknown))}
        ]
    if any(not isinstance(v, int) or v < 0 for v in counts.values()):
        errors.setdefault("counts", []).append(_("Votes must be whole numbers of at least 0."))
    elif not unknown:
        per_option = ballots * (
            project.max_votes_per_option if project.voting_mode == VotingMode.BUDGET else 1
        )
        over = [options[pk] for pk, v in counts.items() if v > per_option]
        if over:
            errors.setdefault("counts", []).append(
                _("More votes than the ballots allow (at most %(max)d) for: %(names)s.")
                % {"max": per_option, "names": ", ".join(over)}
            )
        limit = ballots * votes_per_ballot(project, len(options))
        if sum(counts.values()) > limit:
            errors.setdefault("counts", []).append(
                _("%(sum)d votes are more than %(ballots)d ballots can carry (%(limit)d).")
                % {"sum": sum(counts.values()), "ballots": ballots, "limit": limit}
            )
    if supersedes is not None:
        # Locked, so two planners correcting the same record at once cannot both succeed.
        supersedes = PaperTally.objects.select_for_update().get(pk=supersedes.pk)
        if supersedes.project_id != project.pk:
            errors["supersedes"] = [_("The corrected record belongs to another project.")]
        elif PaperTally.objects.filter(supersedes=supersedes).exists():
            errors["supersedes"] = [
                _("This record has already been corrected; correct the latest version.")
            ]
        if not correction_reason.strip():
            errors["correction_reason"] = [_("Say why the record is corrected.")]
    # A correction replaces a record and adds no count: only new records can be twins.
    twin = (
        current_tallies(project)
        .filter(
            event_name__iexact=event_name.strip(),
            place__iexact=place.strip(),
            event_date=event_date,
        )
        .order_by("pk")
        .first()
        if supersedes is None
        else None
    )
    if twin is not None and not separate_count:
        errors["separate_count"] = [
            _(
                "“%(event)s” on %(date)s is already recorded (%(ballots)d ballots). To change "
                "that record, correct it; if this is another count (e.g. a second ballot box), "
                "confirm it as a separate count."
            )
            % {
                "event": twin.event_name,
                "date": formats.date_format(twin.event_date, "SHORT_DATE_FORMAT"),
                "ballots": twin.ballots,
            }
        ]
    tally = PaperTally(
        project=project,
        event_name=event_name.strip(),
        place=place.strip(),
        event_date=event_date,
        ballots=ballots,
        counted_by=counted_by.strip(),
        note=note,
        supersedes=supersedes,
        correction_reason=correction_reason.strip(),
        recorded_by=signed_in(actor),
    )
    try:
        tally.full_clean(validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    tally.save()
    PaperTallyCount.objects.bulk_create(
        PaperTallyCount(tally=tally, proposal_id=pk, votes=v) for pk, v in counts.items()
    )
    log_action(
        actor=actor,
        action="paper_tally.correct" if supersedes else "paper_tally.record",
        obj=tally,
        project=project,
        before=_tally_snapshot(supersedes) if supersedes else None,
        after={**_tally_snapshot(tally), "separate_count_of": twin.pk if twin else None},
        reason=tally.correction_reason,
    )
    return tally


def _tally_date_error(
    project: Project, event_date: date, note: str, now: datetime | None
) -> str | None:
    """Why a paper count's date cannot be right, or None.

    Counts lie in the past. A date outside the voting period is refused unless the note
    says why those ballots count (e.g. collected at a festival the week before).
    """
    today = timezone.localdate(now or timezone.now())
    if event_date > today:
        return _("The date lies in the future; paper ballots are recorded after they are counted.")
    if project.voting_start is None or project.voting_end is None:
        return None
    first = timezone.localdate(project.voting_start)
    last = timezone.localdate(project.voting_end - timedelta(microseconds=1))
    if first <= event_date <= last or note.strip():
        return None
    return _(
        "The date lies outside the voting period (%(first)s to %(last)s). Correct it, or say "
        "in the note why these ballots count."
    ) % {
        "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
        "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
    }


def _tally_snapshot(tally: PaperTally) -> dict[str, Any]:
    return {
        "event_name": tally.event_name,
        "place": tally.place,
        "event_date": tally.event_date.isoformat(),
        "ballots": tally.ballots,
        "counted_by": tally.counted_by,
        "counts": {str(c.proposal_id): c.votes for c in tally.counts.order_by("proposal_id")},
    }


# Django model permissions per role: they only open the matching admin pages; what a person may
# do in the product is decided by proposals/rules.py. Votes and paper tallies stay read-only in
# the admin, so they change only through their services (locks, limits, audit log).
_READ_ONLY_IN_ADMIN = {"vote", "papertally", "papertallycount"}
_ROLE_PERMISSIONS: dict[str, list[tuple[str, str | None, tuple[str, ...]]]] = {
    # (app label, model name or None for every model of the app, actions)
    roles.CITIZEN: [],
    roles.PLANNER: [
        ("proposals", None, ("view", "add", "change")),
        ("locations", "site", ("view", "add", "change")),
        ("geo", "area", ("view",)),
    ],
    roles.GIS_STAFF: [
        ("locations", "site", ("view", "add", "change")),
        ("geo", "area", ("view", "add", "change")),
        ("proposals", None, ("view",)),
    ],
}


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create the role groups that are missing and grant their admin permissions.

    Only adds: permissions an administrator granted on top stay, so running it again is safe.
    """
    groups = {}
    for name, grants in _ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        codenames: dict[str, set[str]] = {}
        for app_label, model_name, actions in grants:
            models = (
                [model_name]
                if model_name
                else [m._meta.model_name for m in apps.get_app_config(app_label).get_models()]
            )
            for model in models:
                allowed = ("view",) if model in _READ_ONLY_IN_ADMIN else actions
                codenames.setdefault(app_label, set()).update(f"{a}_{model}" for a in allowed)
        for app_label, names in codenames.items():
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=names)
            )
        groups[name] = group
    return groups
