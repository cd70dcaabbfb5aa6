"""Paths of the citizen pages that API documents link to: the pages own their URLs."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def project_path(slug: str) -> str:
    try:
        return reverse("proposals:project-detail", kwargs={"slug": slug})
    except NoReverseMatch:
        # The pages are not mounted (yet): the agreed path.
        return f"/projekte/{slug}/"
