"""Answers every page of participation gives the same way: a refusal, and the way back.

The citizens' pages and the planners' workspace both use these, so a refused action reads the
same everywhere and no form can send a person to another site.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def refusal(request: HttpRequest, reason: str | PermissionDenied) -> HttpResponse:
    """The 403 page saying why, in the words of the rule (or service) that refused."""
    return render(request, "403.html", {"exception": str(reason)}, status=403)


def next_url(request: HttpRequest, *, default: str) -> str:
    """Where a form sends people back to (its `next` field): only an address of this site.

    Django's own check, so `//elsewhere`, `https://elsewhere`, `\\\\elsewhere` and a plain
    `http:` URL on an HTTPS site are all refused and the form's default is used instead.
    """
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
