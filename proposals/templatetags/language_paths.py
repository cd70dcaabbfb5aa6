"""`{% default_language_path %}`: this page's address in the default language, for the switch.

Django's `set_language` translates `next` by resolving it under the language of its own request,
which (with the default language unprefixed) is always the default one: a `/en/…` address would
not resolve and would stay English. The unprefixed address resolves, and becomes either language.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def default_language_path(context: Any) -> str:
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), settings.LANGUAGE_CODE)
