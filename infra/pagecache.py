"""Whole pages kept per process for visitors who are not signed in, each response with its own
CSRF token and CSP nonce.

A page that every such visitor gets alike is rendered once per key and kept; what must differ
per response (the CSRF token of the forms, the nonce of the inline scripts) is rendered as a
slot and filled for each response, on a miss as on a hit, so both paths send the same bytes.
The caller's key must change whenever anything the page shows changes (the project page keys
on its project's data version, which database triggers change with the data).

The proposals' vector tiles for visitors are kept here too (api/v1/tiles.py), by the same
kind of key: raw bytes, no slots.

Per process, like the rendered maps (geo/maps.py): a hit costs a dictionary look-up, where the
shared cache (the database) would cost a round trip; a new deployment (templates, translations,
settings) starts empty. Bounded by PAGE_CACHE_BYTES, least recently used out; 0 turns it off.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

# The slots: random per process, never sent (every response fills them), so no text a visitor
# wrote can contain one and have a token put into it.
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(16)}"
NONCE_SLOT = f"nonce-slot-{secrets.token_hex(16)}"
# The context a shared page renders with: `{% csrf_token %}` writes the slot, and so does
# `{% map_script %}` (geo/templatetags/maps.py) for the nonce.
SLOTS = {"csrf_token": CSRF_SLOT, "csp_nonce": NONCE_SLOT}
# Django's csrf.get_token marks the request with this when it hands out a token.
_TOKEN_HANDED_OUT = "CSRF_COOKIE_NEEDS_UPDATE"  # noqa: S105 - a META key, not a secret


@dataclass(frozen=True)
class SharedPage:
    content: bytes
    content_type: str


_pages: OrderedDict[Hashable, SharedPage] = OrderedDict()
_size = 0
_lock = threading.Lock()


def shareable(request: HttpRequest) -> bool:
    """Whether this request gets the page everybody gets: a plain GET or HEAD (no query: filters
    and pages of the list are rendered each time) by a visitor who is not signed in and has no
    message waiting (a message is shown once, to one person)."""
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return False
    if request.user.is_authenticated:
        return False
    # len() loads the messages without marking them read: a page rendered instead shows them.
    return len(messages.get_messages(request)) == 0


def render_shared(
    request: HttpRequest,
    key: tuple[Hashable, ...] | None,
    template_name: str,
    build: Callable[[], tuple[dict[str, Any], int]],
) -> HttpResponse:
    """The page `template_name` with the context (and status) `build` makes.

    With a `key` (None: never shared) and a `shareable` request, the page is looked up first
    under the key plus what every page depends on (language, time zone, host, scheme, path),
    and a page built anew is kept if it answered 200 and no real token or nonce went into it.
    """
    if key is None or settings.PAGE_CACHE_BYTES <= 0 or not shareable(request):
        context, status = build()
        return render(request, template_name, context, status=status)
    full_key = (
        get_language(),
        timezone.get_current_timezone_name(),
        request.get_host(),
        request.is_secure(),
        request.path,
        *key,
    )
    page = lookup(full_key)
    if page is not None:
        return HttpResponse(_filled(page.content, request), content_type=page.content_type)

    nonce_before = getattr(request, "_csp_nonce", None)  # django-csp sets it when asked
    token_before = request.META.pop(_TOKEN_HANDED_OUT, None)
    context, status = build()
    response = render(request, template_name, {**context, **SLOTS}, status=status)
    # Something asked the request itself for its token or nonce while building or rendering:
    # the page may carry them, so it is this response's only.
    token_asked = request.META.pop(_TOKEN_HANDED_OUT, False)
    if token_before is not None or token_asked:
        request.META[_TOKEN_HANDED_OUT] = bool(token_before) or token_asked
    personal = token_asked or getattr(request, "_csp_nonce", None) is not nonce_before
    if status == 200 and not personal:
        keep(full_key, SharedPage(response.content, response["Content-Type"]))
    response.content = _filled(response.content, request)
    return response


def _filled(content: bytes, request: HttpRequest) -> bytes:
    """The page with this response's own CSRF token and nonce in the slots it has."""
    if CSRF_SLOT.encode() in content:
        content = content.replace(CSRF_SLOT.encode(), get_token(request).encode())
    if NONCE_SLOT.encode() in content:
        content = content.replace(NONCE_SLOT.encode(), str(request.csp_nonce).encode())  # type: ignore[attr-defined]
    return content


def lookup(key: Hashable) -> SharedPage | None:
    """What is kept under `key` (and now the most recently used), or None."""
    with _lock:
        page = _pages.get(key)
        if page is not None:
            _pages.move_to_end(key)
    return page


def keep(key: Hashable, page: SharedPage) -> None:
    """Keep `page` under `key` within PAGE_CACHE_BYTES, the least recently used out first; the
    caller's key must change whenever anything the page shows changes."""
    global _size
    limit = settings.PAGE_CACHE_BYTES
    if len(page.content) > limit:
        return
    with _lock:
        old = _pages.pop(key, None)
        if old is not None:
            _size -= len(old.content)
        _pages[key] = page
        _size += len(page.content)
        while _size > limit:
            _key, dropped = _pages.popitem(last=False)
            _size -= len(dropped.content)


def forget_all() -> None:
    global _size
    with _lock:
        _pages.clear()
        _size = 0


@receiver(setting_changed)
def _forget_on_setting_change(**_kwargs: Any) -> None:
    # A page is rendered from settings too (tiles, URLs, languages); tests change them.
    forget_all()
