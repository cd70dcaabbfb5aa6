"""Paths of the citizen pages that API documents link to: the pages own their URLs."""

from __future__ import annotations

from django.db.models.functions import Concat
from django.urls import reverse

from proposals.links import url_template, url_template_sql


def project_path(slug: str) -> str:
    return reverse("proposals:project-detail", kwargs={"slug": slug})


def proposal_path_sql(slug_field: str = "project__slug", pk_field: str = "pk") -> Concat:
    """An expression giving each proposal's page path, for querysets of proposals."""
    template = url_template("proposals:proposal-detail", slug="{slug}", pk="{pk}")
    return url_template_sql(template, slug=slug_field, pk=pk_field)
