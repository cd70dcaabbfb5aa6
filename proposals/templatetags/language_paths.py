"""`{% default_language_path %}`: this page's address in the default language, for the switch.

Django's `set_language` translates `next` by resolving it under the language of its own request,
which (with the default language unprefixed) is always the default one: a `/en/…` address would
not resolve and would stay English. The unprefixed address resolves, and becomes either language.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

register = template.Library()


@register.simple_tag(takes_context=True)
def default_language_path(context: Any) -> str:
    request = context.get("request")
    if request is None:
        return "/"
    path = request.get_full_path()
    if request.method not in ("GET", "HEAD"):
        # A page answering a form (a refusal, errors) is at an address only a form reaches (a
        # GET there is a 405): the switch goes to the page the form was sent from instead.
        referer = request.META.get("HTTP_REFERER", "")
        safe = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        parts = urlsplit(referer)
        path = (parts.path + (f"?{parts.query}" if parts.query else "")) if safe else "/"
    # Resolved in the language of its own prefix (a referer may be in the other language).
    with translation.override(translation.get_language_from_path(path) or settings.LANGUAGE_CODE):
        return translate_url(path or "/", settings.LANGUAGE_CODE)
