"""`{{ user|display_name }}`: the public name of a person in templates (never the e-mail)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts import selectors

register = template.Library()


@register.filter
def display_name(user: Any) -> str:
    return selectors.display_name(user)
