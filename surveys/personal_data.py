"""Surveys' part of a person's data export and account deletion (registered with
accounts.personal_data in SurveysConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from surveys.models import Response
from surveys.services import response_answers


def export(user: User) -> dict[str, Any]:
    """The person's own survey answers, as they gave them (drawn features as GeoJSON)."""
    responses = Response.objects.filter(user=user).select_related("survey").order_by("pk")
    return {
        "survey_responses": [
            {
                "survey": r.survey.slug,
                "created_at": r.created_at.isoformat(),
                "updated_at": r.updated_at.isoformat(),
                "answers": response_answers(r),
            }
            for r in responses
        ]
    }


def erase(user: User) -> None:
    """Answers go with the account, said explicitly (results change when they do)."""
    Response.objects.filter(user=user).delete()
