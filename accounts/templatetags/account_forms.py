"""Template filters for accessible form fields: errors and help tied to the input."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def accessible(field: BoundField) -> SafeString:
    """The field's widget, described by its help text and its errors (by id), and marked
    invalid when it has errors, so screen readers read them with the field."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_errors")
    attrs: dict[str, str | bool] = {}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", None) == "checkbox"
