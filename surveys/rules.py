"""Who may do what with surveys: named predicates in the style of proposals.rules (its `Rule`)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from accounts.types import Person
from proposals.models import Project
from proposals.rules import Rule, _participant_refusal, is_gis_staff, is_planner
from surveys.models import Survey, SurveyState


@Rule
def may_view_survey(user: Person, survey: Survey) -> str | None:
    if is_planner(user) or (survey.is_published and survey.project.is_published):
        return None
    return _("This survey is not published.")


@Rule
def may_answer(user: Person, survey: Survey, now: datetime | None = None) -> str | None:
    if not survey.is_published or not survey.project.is_published:
        return _("This survey is not published.")
    state = survey.state_at(now)
    if state == SurveyState.UPCOMING:
        return _("This survey is not open yet.")
    if state == SurveyState.CLOSED:
        return _("This survey is closed; answers are no longer accepted.")
    if survey.audience == Survey.Audience.ACCOUNTS:
        return _participant_refusal(user)
    if user.is_authenticated and not user.is_active:
        return _("This account is deactivated.")
    return None


@Rule
def may_manage_surveys(user: Person, project: Project | None = None) -> str | None:
    """Build, change and publish surveys: the city's planners."""
    return None if is_planner(user) else _("Only the city's planners may manage surveys.")


@Rule
def may_record_paper_response(user: Person, survey: Survey) -> str | None:
    if not is_planner(user):
        return _("Only the city's planners may enter paper questionnaires.")
    if not survey.is_published:
        return _("Paper questionnaires can be entered once the survey is published.")
    return None


@Rule
def may_view_survey_results(
    user: Person, survey: Survey, now: datetime | None = None
) -> str | None:
    """The aggregated public results; planners see them (and every feature) at any time."""
    if is_planner(user):
        return None
    if not may_view_survey(user, survey):
        return _("This survey is not published.")
    state = survey.state_at(now)
    if state == SurveyState.CLOSED or (
        state == SurveyState.OPEN and survey.results_visibility == Project.ResultsVisibility.LIVE
    ):
        return None
    return _("The results are published when the survey closes.")


def sees_every_feature(user: Person) -> bool:
    """Planners see each drawn feature (except home locations); the public only grid cells."""
    return is_planner(user)


@Rule
def may_export_survey(user: Person) -> str | None:
    if not user.is_authenticated:
        return _("Please sign in to download exports.")
    if not is_gis_staff(user):
        return _("Only the city's GIS staff and planners may download exports.")
    return None
