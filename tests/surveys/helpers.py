"""Surveys for tests: built through the services, in the Kaiserslautern test box."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from proposals.models import Project
from surveys.models import Question, Survey
from surveys.services import question_create, survey_create, survey_publish
from tests.factories import ProjectFactory, planner

# Inside CENTRE_BOX (7.74, 49.43, 7.79, 49.45).
A = [7.7689, 49.4447]
B = [7.7700, 49.4400]
C = [7.7600, 49.4400]
FAR = [7.70, 49.40]  # outside the box


def build_survey(
    *, project: Project | None = None, actor: Any = None, publish: bool = True, **values: Any
) -> Survey:
    actor = actor or planner()
    project = project or ProjectFactory()
    now = timezone.now()
    defaults = {
        "title": "Wie erreichen Sie die Innenstadt?",
        "slug": f"umfrage-{Survey.objects.count() + 1}-{project.pk}",
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=10),
    }
    survey = survey_create(actor=actor, project=project, **{**defaults, **values})
    survey._actor = actor  # type: ignore[attr-defined]
    return survey


def add(survey: Survey, kind: str, text: str = "", **values: Any) -> Question:
    return question_create(
        actor=survey._actor,  # type: ignore[attr-defined]
        survey=survey,
        kind=kind,
        text=text or f"Frage {kind}",
        **values,
    )


def publish(survey: Survey) -> Survey:
    return survey_publish(actor=survey._actor, survey=survey)  # type: ignore[attr-defined]


def point(lonlat: list[float], comment: str = "") -> dict[str, Any]:
    return {"geometry": {"type": "Point", "coordinates": lonlat}, "comment": comment}


def line(*places: list[float]) -> dict[str, Any]:
    return {"geometry": {"type": "LineString", "coordinates": list(places)}}


def area(*corners: list[float]) -> dict[str, Any]:
    return {"geometry": {"type": "Polygon", "coordinates": [list(corners)]}}
