"""Who may do what, as named predicates of user, project/proposal and time — the one place.

Each rule returns None when allowed, or the reason it is not (a translated sentence). Calling a
rule gives a bool for templates and serializers; `rule.enforce(...)` raises PermissionDenied with
the reason, which services call before they write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, Generic, ParamSpec

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Case,
    DateTimeField,
    Expression,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Now
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext as _

from accounts import roles
from accounts.selectors import email_confirmed
from accounts.types import Person
from proposals.models import Phase, Project, Proposal, ProposalPhoto, VotingMode

P = ParamSpec("P")
User = AbstractBaseUser | AnonymousUser


class Rule(Generic[P]):
    def __init__(self, reason: Callable[P, str | None]) -> None:
        self.reason = reason
        self.__name__ = reason.__name__
        self.__doc__ = reason.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        return self.reason(*args, **kwargs) is None

    def enforce(self, *args: P.args, **kwargs: P.kwargs) -> None:
        reason = self.reason(*args, **kwargs)
        if reason is not None:
            raise PermissionDenied(reason)


def _in_group(user: Person, group: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # The groups are read once per user object: pages check several rules per request.
    cache = getattr(user, "_mmk_groups", None)
    if cache is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {GROUP_NAMES_SQL}", [user.pk])
            (names,) = cursor.fetchone()
        cache = remember_groups(user, names)
    return group in cache


# The names of account %s's groups as an SQL array, for a statement that reads them along with
# other things (the vote path's lock statement); it hands them to `remember_groups`.
GROUP_NAMES_SQL = (
    "ARRAY(SELECT g.name FROM auth_group AS g JOIN auth_user_groups AS ug ON ug.group_id = g.id"
    " WHERE ug.user_id = %s)"
)


def remember_groups(user: Person, names: Collection[str]) -> set[str]:
    """Keep the person's group names for the rules of this request (`_in_group` reads them)."""
    cache = set(names)
    setattr(user, "_mmk_groups", cache)  # noqa: B010 -- a cache on the object
    return cache


def is_planner(user: Person) -> bool:
    return _in_group(user, roles.PLANNER)


def is_gis_staff(user: Person) -> bool:
    return _in_group(user, roles.GIS_STAFF) or is_planner(user)


def _participant_refusal(user: Person) -> str | None:
    if not user.is_authenticated:
        return _("Please sign in to take part.")
    if not user.is_active:
        return _("This account is deactivated.")
    # Only people who confirmed their e-mail address write: one account, one person.
    if not email_confirmed(user):
        return _("Please confirm your e-mail address first.")
    return None


@Rule
def may_view_project(user: Person, project: Project) -> str | None:
    if project.is_published or is_planner(user):
        return None
    return _("This project is not published.")


@Rule
def may_moderate(user: Person, project: Project) -> str | None:
    return None if is_planner(user) else _("Only the city's planners may do this.")


# ---- Who sees a proposal: the one rule, as a predicate and as the same test in SQL --------
#
# Planners see every proposal. Anyone else sees those of published projects only, and there:
#   published                    everyone, in lists and maps and by its address;
#   pending (awaiting approval)  its author, in lists and maps and by its address (with a notice);
#   hidden by moderation         its author, by its address only (with the reason);
#   merged into another one      everyone, by its address only (with a pointer to the other).
# Lists, maps, tiles, OGC collections and exports show what is LISTED; a proposal's own page and
# its REST detail answer what is at least REACHABLE. `tests/proposals/test_visibility.py` checks
# every surface against this table, and the predicate against the SQL.


class Sight(IntEnum):
    """How far a person sees a proposal."""

    NONE = 0
    REACHABLE = 1  # its own address answers (page, API detail); lists and maps leave it out
    LISTED = 2  # also in lists, maps, tiles, OGC collections and exports


def is_author(user: Person, proposal: Proposal) -> bool:
    return bool(user.is_authenticated and proposal.author_id == user.pk)


def proposal_sight(user: Person, proposal: Proposal) -> Sight:
    published = proposal.project.is_published
    if published and proposal.visibility == Proposal.Visibility.PUBLISHED:
        return Sight.LISTED  # for everyone: asked first, it needs no look at the person's groups
    if is_planner(user):
        return Sight.LISTED
    if not published:
        return Sight.NONE
    own = is_author(user, proposal)
    if own and proposal.visibility == Proposal.Visibility.PENDING:
        return Sight.LISTED
    if own or proposal.merged_into_id is not None:
        return Sight.REACHABLE
    return Sight.NONE


def proposal_sight_filter(user: Person, sight: Sight = Sight.LISTED) -> Q | None:
    """`proposal_sight(user, p) >= sight` as a filter of proposals; None: no restriction."""
    if is_planner(user):
        return None
    seen = Q(visibility=Proposal.Visibility.PUBLISHED)
    if sight <= Sight.REACHABLE:
        seen |= Q(merged_into__isnull=False)
    if user.is_authenticated:
        own = Q(author_id=user.pk)
        if sight == Sight.LISTED:
            own &= Q(visibility=Proposal.Visibility.PENDING)
        seen |= own
    return Q(project__is_published=True) & seen


@Rule
def may_view_proposal(user: Person, proposal: Proposal) -> str | None:
    """May open the proposal's own page (or its API detail)."""
    if not may_view_project(user, proposal.project):
        return _("This project is not published.")
    if proposal_sight(user, proposal) >= Sight.REACHABLE:
        return None
    return _("This proposal is not public.")


@Rule
def may_view_photo(user: Person, photo: ProposalPhoto) -> str | None:
    """A photo is seen by whoever may open its proposal; one hidden by moderation only by its
    author and the planners. Its file answers this too (proposals/views.py photo_file)."""
    if (refusal := may_view_proposal.reason(user, photo.proposal)) is not None:
        return refusal
    if photo.is_hidden and not (is_planner(user) or is_author(user, photo.proposal)):
        return _("This photo was hidden by moderation.")
    return None


@Rule
def may_add_proposal(user: Person, project: Project, now: datetime | None = None) -> str | None:
    if refusal := _participant_refusal(user):
        return refusal
    if not project.is_published:
        return _("This project is not published.")
    if not project.allow_citizen_pins and not is_planner(user):
        return _("In this project only the city puts up options.")
    if project.phase_at(now) != Phase.IDEAS:
        return _("Ideas can only be added while the project is collecting ideas.")
    return None


@Rule
def may_post_option(user: Person, project: Project, now: datetime | None = None) -> str | None:
    if not is_planner(user):
        return _("Only the city's planners may put up options at sites.")
    if project.phase_at(now) == Phase.CLOSED:
        return _("The project is closed.")
    return None


@Rule
def may_comment(user: Person, proposal: Proposal, now: datetime | None = None) -> str | None:
    if refusal := _participant_refusal(user):
        return refusal
    if proposal.visibility != Proposal.Visibility.PUBLISHED:
        return _("Only published proposals can be commented on.")
    if proposal.project.phase_at(now) not in (Phase.IDEAS, Phase.VOTING):
        return _("Comments are only possible while ideas are collected or votes are cast.")
    return None


def _own_untouched_refusal(user: Person, proposal: Proposal, now: datetime | None) -> str | None:
    """A citizen changes their own pin only before others have reacted to it."""
    if refusal := _participant_refusal(user):
        return refusal
    if proposal.author_id != user.pk:
        return _("Only the author may change this proposal.")
    if proposal.merged_into_id is not None or proposal.visibility == Proposal.Visibility.HIDDEN:
        return _("This proposal was merged or hidden by moderation and cannot be changed.")
    if proposal.project.phase_at(now) != Phase.IDEAS:
        return _("Proposals can only be changed while the project is collecting ideas.")
    # Votes and comments refer to what the proposal said: changing it would change their meaning.
    if proposal.votes.exists():
        return _("This proposal has votes and can no longer be changed.")
    if proposal.comments.exists():
        return _("This proposal has comments and can no longer be changed.")
    return None


@Rule
def may_edit_proposal(user: Person, proposal: Proposal, now: datetime | None = None) -> str | None:
    return _own_untouched_refusal(user, proposal, now)


@Rule
def may_add_photo(user: Person, proposal: Proposal, now: datetime | None = None) -> str | None:
    """A photo is part of what the proposal says: added under the rule of editing it."""
    return _own_untouched_refusal(user, proposal, now)


@Rule
def may_delete_proposal(
    user: Person, proposal: Proposal, now: datetime | None = None
) -> str | None:
    return _own_untouched_refusal(user, proposal, now)


@Rule
def may_vote(user: Person, proposal: Proposal, now: datetime | None = None) -> str | None:
    if refusal := _participant_refusal(user):
        return refusal
    if proposal.visibility != Proposal.Visibility.PUBLISHED:
        return _("Only published proposals can receive votes.")
    if proposal.project.phase_at(now) != Phase.VOTING:
        return _("Voting is not open for this project.")
    return None


@dataclass(frozen=True)
class BallotRefusal:
    code: str  # duplicate, budget_exhausted, option_cap: API clients and tests tell them apart
    message: str


def ballot_refusal(
    project: Project, mine: Mapping[int, int], proposal_id: int
) -> BallotRefusal | None:
    """Why one more vote for `proposal_id` breaks the project's voting mode, given `mine` (the
    person's votes in the project: proposal id → votes); None when it may be cast.

    The one home of the limits: `vote_cast` asks it under the ballot lock, the pages ask it to
    label their vote buttons. (A single choice elsewhere is no refusal: the vote moves.)
    """
    weight = mine.get(proposal_id, 0)
    if project.voting_mode == VotingMode.SINGLE:
        if weight:
            return BallotRefusal("duplicate", _("This is already your choice."))
    elif project.voting_mode == VotingMode.BUDGET:
        budget = project.votes_per_person or 0
        if sum(mine.values()) >= budget:
            return BallotRefusal(
                "budget_exhausted",
                _("You have used all your %(n)d votes in this project.") % {"n": budget},
            )
        if weight >= project.max_votes_per_option:
            return BallotRefusal(
                "option_cap",
                _("You may give at most %(k)d votes to one option.")
                % {"k": project.max_votes_per_option},
            )
    elif weight:
        return BallotRefusal("duplicate", _("You have already supported this proposal."))
    return None


@Rule
def may_record_tally(user: Person, project: Project, now: datetime | None = None) -> str | None:
    if not is_planner(user):
        return _("Only the city's planners may record paper ballots.")
    if project.phase_at(now) not in (Phase.VOTING, Phase.CLOSED):
        return _("Paper ballots can be recorded once voting has started.")
    return None


@Rule
def may_view_results(user: Person, project: Project, now: datetime | None = None) -> str | None:
    """When vote counts are public: the one rule; `results_public_sql` is the same test in SQL."""
    phase = project.phase_at(now)
    if phase == Phase.CLOSED or (
        phase == Phase.VOTING and project.results_visibility == Project.ResultsVisibility.LIVE
    ):
        return None
    if is_planner(user):  # asked last: it may need a query, the dates do not
        return None
    return _("The results are published when voting closes.")


def results_public_sql(
    user: Person, now: datetime | Expression | None = None, *, project: str = ""
) -> Q:
    """`may_view_results` as a condition on projects (`project`: the path to them, "project__").

    The same phases as `Project.phase_at`, from the dates, at the statement's time unless `now`
    is given (a time, or an SQL expression of one): a compiled statement stays valid as time
    passes, and a tile or list asks no separate query about the projects.
    `tests/proposals/test_visibility.py` checks the two agree over projects, phases, result
    settings and people.
    """
    if is_planner(user):
        return Q(**{f"{project}pk__isnull": False})
    at: Any = (
        Now()
        if now is None
        else now
        if isinstance(now, Expression)
        else Value(now, output_field=DateTimeField())
    )
    p = project
    # Closed: published, and past the last end (GREATEST skips nulls as phase_at's max does).
    closed = Q(**{f"{p}is_published": True}) & Q(
        GreaterThanOrEqual(at, Func(F(f"{p}ideas_end"), F(f"{p}voting_end"), function="GREATEST"))
    )
    voting_live = Q(
        **{
            f"{p}is_published": True,
            f"{p}results_visibility": Project.ResultsVisibility.LIVE,
            f"{p}voting_start__lte": at,
            f"{p}voting_end__gt": at,
        }
    )
    return closed | voting_live


def projects_with_public_results(
    user: Person, projects: QuerySet[Project], now: datetime | None = None
) -> list[int]:
    """Ids of the projects whose vote counts `user` may see now: `may_view_results` over many."""
    return list(projects.filter(results_public_sql(user, now)).values_list("pk", flat=True))


def public_votes(votes: Any, user: Person, now: datetime | None = None) -> Expression:
    """`votes` (an SQL expression over proposals) where `user` may see the project's results,
    else null: while voting runs, totals may stay secret until the end, so that they do not
    sway the vote. Every surface that shows a vote total in SQL shows it through this.
    """
    return Case(
        When(results_public_sql(user, now, project="project__"), then=votes),
        default=Value(None),
        output_field=IntegerField(),
    )


@Rule
def may_export(user: Person) -> str | None:
    """Downloads of whole data sets are for the city's GIS staff and planners."""
    if not user.is_authenticated:
        return _("Please sign in to download exports.")
    if not is_gis_staff(user):
        return _("Only the city's GIS staff and planners may download exports.")
    return None


# The planners' workspace: review, moderation, spatial analysis.


@Rule
def may_view_workspace(user: Person) -> str | None:
    if not user.is_authenticated:
        return _("Please sign in.")
    if not is_planner(user):
        return _("The workspace is for the city's planners.")
    return None


@Rule
def may_review(user: Person, proposal: Proposal) -> str | None:
    """Change a proposal's status with an official response."""
    if not is_planner(user):
        return _("Only the city's planners may review proposals.")
    if proposal.merged_into_id is not None:
        return _("This proposal was merged into another one; review that one instead.")
    return None


@Rule
def may_merge(user: Person, source: Proposal, target: Proposal) -> str | None:
    if not is_planner(user):
        return _("Only the city's planners may merge proposals.")
    if source.project_id != target.project_id:
        return _("Only proposals of the same project can be merged.")
    if source.pk == target.pk:
        return _("A proposal cannot be merged into itself.")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        return _("One of the proposals has already been merged.")
    return None


@Rule
def may_report(user: Person, proposal: Proposal) -> str | None:
    """Flag a proposal (or a comment on it) for moderation: anyone signed in who can see it."""
    if refusal := _participant_refusal(user):
        return refusal
    if not may_view_proposal(user, proposal):
        return _("This proposal is not public.")
    return None


@Rule
def may_export_results(user: Person, project: Project, now: datetime | None = None) -> str | None:
    """Result downloads: for everyone once results are public; GIS staff may take them earlier."""
    if may_view_results(user, project, now) or is_gis_staff(user):
        return None
    return _("The results are published when voting closes.")


# Follows, alerts and implementation progress (proposals/alerts).


@Rule
def may_follow_project(user: Any, project: Project) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return _("Please sign in to follow.")
    if not project.is_published:
        return _("This project is not published.")
    return None


@Rule
def may_follow_proposal(user: Any, proposal: Proposal) -> str | None:
    """Anyone signed in who sees the proposal in lists (its author too, while it is pending)."""
    if refusal := may_follow_project.reason(user, proposal.project):
        return refusal
    if proposal_sight(user, proposal) < Sight.LISTED:
        return _("This proposal is not public.")
    return None


@Rule
def may_report_progress(user: Any, proposal: Proposal) -> str | None:
    """Staff report how an accepted proposal is being implemented."""
    if not is_planner(user):
        return _("Only the city's planners may report progress.")
    if proposal.status not in (Proposal.Status.ACCEPTED, Proposal.Status.IMPLEMENTED):
        return _("Progress is reported for accepted proposals only.")
    return None
