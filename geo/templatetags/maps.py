"""`{% map_script m1 m2 … %}`: the code of rendered maps, in scripts the page's CSP allows."""

from __future__ import annotations

from typing import Any

from django import template

from geo.maps import RenderedMap

register = template.Library()


@register.inclusion_tag("geo/_map_script.html", takes_context=True)
def map_script(context: Any, *maps: RenderedMap | None) -> dict[str, Any]:
    """One nonce'd <script> per map; a missing map (None, "") is left out.

    The nonce is the request's own (django-csp), so an injected script without it never runs.
    A page rendered to be kept for many visitors has a slot as `csp_nonce` in its context
    instead, which each response fills with its own nonce (infra/pagecache.py).
    """
    request = context.get("request")
    return {
        "nonce": context.get("csp_nonce") or getattr(request, "csp_nonce", ""),
        "scripts": [m.script for m in maps if m],
    }
