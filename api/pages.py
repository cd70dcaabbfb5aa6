"""Paths of the citizen pages that API documents link to: the pages own their URLs."""

from __future__ import annotations

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import NoReverseMatch, reverse

# Markers reversed into the proposal page's URL and then cut out, so the database can fill in
# slug and id per row and the API follows whatever the page URLs are.
_SLUG_MARK = "mmk-slug-mark"
_PK_MARK = 987654321


def project_path(slug: str) -> str:
    try:
        return reverse("proposals:project-detail", kwargs={"slug": slug})
    except NoReverseMatch:
        # The pages are not mounted (yet): the agreed path.
        return f"/projekte/{slug}/"


def proposal_path_sql(slug_field: str = "project__slug", pk_field: str = "pk") -> Concat:
    """An expression giving each proposal's page path, for querysets of proposals."""
    try:
        marked = reverse("proposals:proposal-detail", kwargs={"slug": _SLUG_MARK, "pk": _PK_MARK})
    except NoReverseMatch:
        marked = f"/projekte/{_SLUG_MARK}/vorschlaege/{_PK_MARK}/"
    head, rest = marked.split(_SLUG_MARK, 1)
    middle, tail = rest.split(str(_PK_MARK), 1)
    return Concat(
        Value(head),
        slug_field,
        Value(middle),
        Cast(pk_field, CharField()),
        Value(tail),
        output_field=CharField(),
    )
