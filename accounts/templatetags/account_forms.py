"""Template filters for form fields (templates/_field.html, every form of the site)."""

from __future__ import annotations

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", None) == "checkbox"
