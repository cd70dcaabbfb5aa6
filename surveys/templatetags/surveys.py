"""Template tags of surveys: the open surveys, for the home page's list."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from surveys.models import Survey

register = template.Library()


@register.simple_tag
def open_surveys() -> Any:
    now = timezone.now()
    return (
        Survey.objects.filter(
            is_published=True, project__is_published=True, opens_at__lte=now, closes_at__gt=now
        )
        .select_related("project")
        .order_by("closes_at", "pk")
    )
