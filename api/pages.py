"""Paths of the citizen pages that API documents link to: the pages own their URLs."""

from __future__ import annotations

from django.urls import reverse


def project_path(slug: str) -> str:
    return reverse("proposals:project-detail", kwargs={"slug": slug})
