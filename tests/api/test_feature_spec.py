"""A proposal's feature is defined once (proposals/features.py): what each surface documents is
what PostGIS emits, key for key and type for type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from api.v1 import serializers as s
from geo.geojson import features
from proposals import features as spec
from proposals.models import Project
from tests.api.test_tiles import X, Y, Z, decode, tile_url
from tests.factories import (
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
    planner,
)

pytestmark = pytest.mark.django_db

_PYTHON_TYPES = {"integer": int, "boolean": bool, "string": str}


@pytest.fixture
def voted() -> dict[str, Any]:
    """A proposal whose every property has a value: category, site, votes, comments."""
    project = ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE)
    proposal = ProposalFactory(
        project=project, category=CategoryFactory(project=project), site=SiteFactory()
    )
    voter = UserFactory(username="waehlerin")
    VoteFactory(proposal=proposal, user=voter)
    CommentFactory(proposal=proposal)
    return {"proposal": proposal, "voter": voter}


def assert_typed(properties: dict[str, Any], names: tuple[str, ...]) -> None:
    """Each value has its property's JSON type (null only where the spec allows it)."""
    for name in names:
        prop = spec.PROPERTIES[name]
        value = properties[name]
        if value is None:
            assert prop.nullable, name
            continue
        assert type(value) is _PYTHON_TYPES[prop.schema["type"]], (name, value)
        if prop.choices:
            assert value in dict(prop.choices), (name, value)


def test_rest_list_and_detail_emit_what_the_serializers_and_openapi_document(
    client: Client, voted: dict[str, Any]
) -> None:
    proposal = voted["proposal"]
    client.force_login(voted["voter"])
    [listed] = json.loads(client.get("/api/v1/proposals/").content)["features"]
    detail = json.loads(client.get(f"/api/v1/proposals/{proposal.pk}/").content)

    assert list(listed["properties"]) == list(spec.LIST)
    assert list(s.ProposalPropertiesSerializer().fields) == list(spec.LIST)
    assert list(detail["properties"]) == list(spec.DETAIL)
    assert list(s.ProposalDetailPropertiesSerializer().fields) == list(spec.DETAIL)
    assert_typed(listed["properties"], spec.LIST)
    assert_typed(detail["properties"], spec.DETAIL)
    assert detail["properties"]["vote_count"] == 1
    assert detail["properties"]["has_voted"] is True

    schema = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    for component, names in (
        ("ProposalProperties", spec.LIST),
        ("ProposalDetailProperties", spec.DETAIL),
    ):
        documented = schema[component]["properties"]
        assert list(documented) == list(names), component
        for name in names:
            assert documented[name].get("nullable", False) == spec.PROPERTIES[name].nullable


def test_ogc_emits_what_its_openapi_document_describes(
    client: Client, voted: dict[str, Any]
) -> None:
    [item] = json.loads(client.get("/ogc/collections/proposals/items").content)["features"]
    assert list(item["properties"]) == list(spec.OGC)
    assert_typed(item["properties"], spec.OGC)

    document = json.loads(client.get("/ogc/api", {"f": "json"}).content)
    response = document["paths"]["/collections/proposals/items/{featureId}"]["get"]["responses"]
    feature_schema = response["200"]["content"]["application/geo+json"]["schema"]
    documented = feature_schema["allOf"][1]["properties"]["properties"]["properties"]
    assert documented == {name: dict(spec.PROPERTIES[name].schema) for name in spec.OGC}


def test_tiles_carry_the_tile_selection(
    client: Client, voted: dict[str, Any], tmp_path: Path
) -> None:
    proposal = voted["proposal"]
    [found] = decode(client.get(tile_url(Z, X, Y)).content, tmp_path, Z, X, Y).values()
    # GDAL's MVT reader adds the feature id it read as `mvt_id`; the rest are the properties.
    assert set(found["properties"]) - {"mvt_id"} == set(spec.TILE)
    assert found["properties"]["mvt_id"] == proposal.pk
    assert found["properties"]["id"] == proposal.pk
    assert found["properties"]["vote_count"] == 1


def test_export_rows_emit_the_export_selection(voted: dict[str, Any]) -> None:
    rows, feature_spec = spec.proposal_export_source()
    [text] = features(rows, feature_spec)
    properties = json.loads(text)["properties"]
    assert list(properties) == list(spec.EXPORT)
    assert_typed(properties, spec.EXPORT)
    # The public's export asks the results rule: this project shows its totals live.
    assert properties["vote_count"] == 1


def test_export_keeps_secret_totals_secret() -> None:
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    VoteFactory(proposal=proposal)
    rows, feature_spec = spec.proposal_export_source()
    assert json.loads(features(rows, feature_spec)[0])["properties"]["vote_count"] is None
    planners_rows, _ = spec.proposal_export_source(planner(username="planerin"))
    assert json.loads(features(planners_rows, feature_spec)[0])["properties"]["vote_count"] == 1


def test_workspace_adds_its_columns_to_the_spec(client: Client, voted: dict[str, Any]) -> None:
    client.force_login(planner(username="planerin"))
    [feature] = json.loads(client.get("/api/workspace/proposals/").content)["features"]
    assert list(feature["properties"]) == [*spec.WORKSPACE, "review_url"]
    assert_typed(feature["properties"], spec.WORKSPACE)
