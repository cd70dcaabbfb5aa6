"""Who may do what, as named predicates of user, project/proposal and time — the one place.

Each rule returns None when allowed, or the reason it is not (a translated sentence). Calling a
rule gives a bool for templates and serializers; `rule.enforce(...)` raises PermissionDenied with
the reason, which services call before they write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, ParamSpec

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from proposals import roles
from proposals.models import Phase, Project, Proposal

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


def _in_group(user: Any, group: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # The groups are read once per user object: pages check several rules per request.
    cache = getattr(user, "_mmk_groups", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._mmk_groups = cache
    return group in cache


def is_planner(user: Any) -> bool:
    return _in_group(user, roles.PLANNER)


def is_gis_staff(user: Any) -> bool:
    return _in_group(user, roles.GIS_STAFF) or is_planner(user)


def _participant_refusal(user: Any) -> str | None:
    if not user.is_authenticated:
        return _("Please sign in to take part.")
    if not user.is_active:
        return _("This account is deactivated.")
    return None


@Rule
def may_view_project(user: Any, project: Project) -> str | None:
    if project.is_published or is_planner(user):
        return None
    return _("This project is not published.")


@Rule
def may_moderate(user: Any, project: Project) -> str | None:
    return None if is_planner(user) else _("Only the city's planners may do this.")


@Rule
def may_view_proposal(user: Any, proposal: Proposal) -> str | None:
    if not may_view_project(user, proposal.project):
        return _("This project is not published.")
    if proposal.visibility == Proposal.Visibility.PUBLISHED or is_planner(user):
        return None
    if user.is_authenticated and proposal.author_id == user.pk:
        return None
    return _("This proposal is not public.")


@Rule
def may_add_proposal(user: Any, project: Project, now: datetime | None = None) -> str | None:
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
def may_post_option(user: Any, project: Project, now: datetime | None = None) -> str | None:
    if not is_planner(user):
        return _("Only the city's planners may put up options at sites.")
    if project.phase_at(now) == Phase.CLOSED:
        return _("The project is closed.")
    return None


@Rule
def may_comment(user: Any, proposal: Proposal, now: datetime | None = None) -> str | None:
    if refusal := _participant_refusal(user):
        return refusal
    if proposal.visibility != Proposal.Visibility.PUBLISHED:
        return _("Only published proposals can be commented on.")
    if proposal.project.phase_at(now) not in (Phase.IDEAS, Phase.VOTING):
        return _("Comments are only possible while ideas are collected or votes are cast.")
    return None


@Rule
def may_vote(user: Any, proposal: Proposal, now: datetime | None = None) -> str | None:
    if refusal := _participant_refusal(user):
        return refusal
    if proposal.visibility != Proposal.Visibility.PUBLISHED:
        return _("Only published proposals can receive votes.")
    if proposal.project.phase_at(now) != Phase.VOTING:
        return _("Voting is not open for this project.")
    return None


@Rule
def may_record_tally(user: Any, project: Project, now: datetime | None = None) -> str | None:
    if not is_planner(user):
        return _("Only the city's planners may record paper ballots.")
    if project.phase_at(now) not in (Phase.VOTING, Phase.CLOSED):
        return _("Paper ballots can be recorded once voting has started.")
    return None


@Rule
def may_view_results(user: Any, project: Project, now: datetime | None = None) -> str | None:
    if is_planner(user):
        return None
    phase = project.phase_at(now)
    if phase == Phase.CLOSED or (
        phase == Phase.VOTING and project.results_visibility == Project.ResultsVisibility.LIVE
    ):
        return None
    return _("The results are published when voting closes.")
