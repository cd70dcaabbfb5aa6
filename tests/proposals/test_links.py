"""URL templates: reversed once from the URLconf, filled in by JS or by PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from proposals.features import proposal_path_sql
from proposals.links import _STAND_IN, url_template, url_template_sql
from proposals.models import Proposal
from tests.factories import ProjectFactory, ProposalFactory


def test_placeholders_stay_and_fixed_values_are_reversed() -> None:
    assert url_template("proposals:proposal-detail", slug="bahnhof", pk="{id}") == (
        "/projekte/bahnhof/vorschlaege/{id}/"
    )
    assert url_template("api-workspace:tiles", z="{z}", x="{x}", y="{y}") == (
        "/api/workspace/tiles/{z}/{x}/{y}.mvt"
    )
    with translation.override("en"):
        assert url_template("proposals:workspace:review", pk="{pk}") == (
            "/en/planung/vorschlaege/{pk}/"
        )


def test_braces_in_a_fixed_value_are_not_taken_for_placeholders() -> None:
    # Only a whole "{name}" is a placeholder; the slug converter refuses other braces.
    with pytest.raises(NoReverseMatch):
        url_template("proposals:project-detail", slug="a{b}")


def test_a_stand_in_the_route_already_contains_is_refused() -> None:
    # The fixed slug contains the first stand-in: replacing it would corrupt the path.
    with pytest.raises(ImproperlyConfigured):
        url_template("proposals:proposal-detail", slug=f"x{_STAND_IN}", pk="{id}")


@pytest.mark.django_db
def test_postgresql_fills_the_template_as_reverse_would() -> None:
    project = ProjectFactory(slug="bahnhof-west")
    proposals = [ProposalFactory(project=project) for _ in range(3)]
    template = url_template("proposals:proposal-detail", slug="{slug}", pk="{pk}")

    rows = dict(
        Proposal.objects.filter(project=project)
        .annotate(path=url_template_sql(template, slug="project__slug", pk="pk"))
        .values_list("pk", "path")
    )
    via_api = dict(
        Proposal.objects.filter(project=project)
        .annotate(path=proposal_path_sql())
        .values_list("pk", "path")
    )

    expected = {p.pk: p.get_absolute_url() for p in proposals}
    assert rows == expected
    assert via_api == expected
    assert template.format(slug="s", pk=7) == reverse(
        "proposals:proposal-detail", kwargs={"slug": "s", "pk": 7}
    )
