"""`{{ user|display_name }}`: the public name of a person in templates (never the e-mail)."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import User

from accounts import selectors

register = template.Library()


@register.filter
def display_name(user: User | None) -> str:
    return selectors.display_name(user)
