"""The workspace's vector tiles: planners only, the workspace's own filters, read by GDAL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from proposals.models import Proposal
from tests.api.test_tiles import INSIDE, NEARBY, X, Y, Z, decode
from tests.factories import ProjectFactory, ProposalFactory, UserFactory, VoteFactory, planner

pytestmark = pytest.mark.django_db

URL = f"/api/workspace/tiles/{Z}/{X}/{Y}.mvt"


def test_only_planners_get_workspace_tiles(client: Any) -> None:
    ProposalFactory(location=INSIDE)
    assert client.get(URL).status_code == 403
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_workspace_tile_holds_hidden_and_pending_with_votes_and_status(
    client: Any, tmp_path: Path
) -> None:
    project = ProjectFactory()
    shown = ProposalFactory(project=project, location=INSIDE, status="accepted")
    pending = ProposalFactory(
        project=project, location=NEARBY, visibility=Proposal.Visibility.PENDING
    )
    ProposalFactory(project=project, location=Point(7.70, 49.40, srid=4326))  # another tile
    VoteFactory(proposal=shown)
    VoteFactory(proposal=shown)
    client.force_login(planner())
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Cache-Control"] == "private, max-age=60"
    found = decode(response.content, tmp_path)
    assert set(found) == {shown.pk, pending.pk}
    assert found[shown.pk]["properties"]["status"] == "accepted"
    assert found[shown.pk]["properties"]["vote_count"] == 2
    assert abs(found[shown.pk]["lon"] - INSIDE.x) < 1e-4


def test_workspace_tiles_apply_the_workspace_filters(client: Any, tmp_path: Path) -> None:
    project = ProjectFactory()
    kino = ProposalFactory(project=project, location=INSIDE, title="Open-Air-Kino")
    ProposalFactory(project=project, location=NEARBY, title="Boule-Bahn")
    client.force_login(planner())
    found = decode(client.get(URL, {"q": "kino"}).content, tmp_path)
    assert set(found) == {kino.pk}
    # A polygon around INSIDE only (the workspace's drawn-polygon filter).
    box = (
        "POLYGON((7.7685 49.4444, 7.7693 49.4444, 7.7693 49.4450, 7.7685 49.4450, 7.7685 49.4444))"
    )
    found = decode(client.get(URL, {"polygon": box}).content, tmp_path)
    assert set(found) == {kino.pk}
    assert client.get(URL, {"status": "no-such-status"}).status_code == 400


def test_workspace_tile_out_of_range_and_empty(client: Any) -> None:
    client.force_login(planner())
    assert client.get("/api/workspace/tiles/3/8/0.mvt").status_code == 400
    assert client.get(URL).status_code == 204  # no proposal anywhere
