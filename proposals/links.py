"""URL templates: a route reversed once with `{name}` placeholders, filled in by JS or by SQL.

Maps link thousands of points, and the database builds thousands of page paths per response;
reversing per row would be slow, and writing the paths down would copy the URLconf. So a route
is reversed once with stand-ins that every converter we use accepts (digits: `int`, `slug`,
`str` and `path` take them), and each stand-in, found exactly once, becomes its placeholder.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Concat
from django.urls import reverse

_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")
_PARTS = re.compile(r"\{(\w+)\}")
# Long enough that a route's own digits do not contain it by chance (and checked if they do).
_STAND_IN = 80_713_059_000


def url_template(viewname: str, /, **kwargs: Any) -> str:
    """`viewname`'s path; a keyword given as `"{name}"` stays the placeholder `{name}`.

    `url_template("proposals:proposal-detail", slug="bahnhof", pk="{id}")` gives
    `/projekte/bahnhof/vorschlaege/{id}/` (in the active language). reverse() percent-encodes
    braces, so the only braces in the result are the placeholders.
    """
    stand_ins: dict[str, str] = {}
    fixed: dict[str, Any] = {}
    for key, value in kwargs.items():
        match = _PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match is None:
            fixed[key] = value
        else:
            stand_ins[match.group(1)] = str(_STAND_IN + len(stand_ins))
            fixed[key] = stand_ins[match.group(1)]
    path = reverse(viewname, kwargs=fixed)
    for name, stand_in in stand_ins.items():
        if path.count(stand_in) != 1:
            raise ImproperlyConfigured(f"{viewname}: cannot place {{{name}}} in {path!r}")
        path = path.replace(stand_in, "{" + name + "}")
    return path


def url_template_sql(template: str, /, **fields: str | Combinable) -> Concat:
    """A database expression filling `template`'s placeholders from the row's `fields`.

    `url_template_sql("/p/{slug}/{id}/", slug="project__slug", id="pk")` gives each row its own
    path, computed by PostgreSQL in the same query.
    """
    pieces = _PARTS.split(template)
    parts: list[Any] = []
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(Cast(fields[piece], CharField()))
        elif piece:
            parts.append(Value(piece))
    if len(parts) < 2:  # Concat needs two; a template without placeholders is one constant
        parts.append(Value(""))
    return Concat(*parts, output_field=CharField())
