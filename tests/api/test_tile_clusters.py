"""Clusters in the proposals' vector tiles: a dense tile at low zoom counts per cell what each
person may see, read back by GDAL's MVT driver."""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from proposals import rules
from proposals.models import Proposal
from tests.api.test_tiles import tile_of
from tests.api.test_tiles import tile_url as any_tile_url
from tests.factories import (
    CENTRE_BOX,
    INSIDE,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
    planner,
)

pytestmark = pytest.mark.django_db

Z = 11  # one tile holds all of CENTRE_BOX
X, Y = tile_of(INSIDE, Z)
HALF_WORLD = 20037508.342789244
RADIUS = 6378137.0
CELLS = 4  # cells per tile side (api/v1/tiles.py: CLUSTER_CELL is a quarter of the tile)


def tile_url(z: int = Z, x: int = X, y: int = Y) -> str:
    return any_tile_url(z, x, y)


def features(body: bytes, tmp_path: Path, layer: str, z: int = Z, x: int = X, y: int = Y) -> list:
    """One layer of the tile as GDAL reads it: GeoJSON features in EPSG:4326."""
    assert shutil.which("ogr2ogr"), "GDAL's ogr2ogr (gdal-bin) is needed"
    source = tmp_path / f"tile-{z}-{x}-{y}.mvt"
    source.write_bytes(body)
    args = [
        "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"MVT:{source}", layer,
        "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo", "CLIP=NO",
        "-t_srs", "EPSG:4326",
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    return list(json.loads(result.stdout)["features"])


def layer_names(body: bytes, tmp_path: Path, z: int = Z, x: int = X, y: int = Y) -> list[str]:
    source = tmp_path / "layers.mvt"
    source.write_bytes(body)
    result = subprocess.run(
        ["ogrinfo", "-ro", "-q", "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split(":", 1)[1].split("(")[0].strip() for line in result.stdout.splitlines()]


def cell_of(point: Point, z: int, x: int, y: int) -> tuple[int, int] | None:
    """The grid cell of tile z/x/y holding `point` (None: another tile), computed here apart
    from the SQL: Web Mercator's formulas, tiles half-open to the east and south."""
    mx = math.radians(point.x) * RADIUS
    my = RADIUS * math.log(math.tan(math.pi / 4 + math.radians(point.y) / 2))
    side = 2 * HALF_WORLD / 2**z
    col = (mx - (-HALF_WORLD + x * side)) / (side / CELLS)
    row = ((HALF_WORLD - y * side) - my) / (side / CELLS)
    if not (0 <= col < CELLS and 0 <= row < CELLS):
        return None
    return int(col), int(row)


def expected_counts(user: Any, proposals: list[Proposal], z: int, x: int, y: int) -> Counter:
    """Cluster sizes by the visibility rule's predicate (not its SQL), cell by cell."""
    cells: Counter = Counter()
    for proposal in proposals:
        proposal.refresh_from_db()
        if rules.proposal_sight(user, proposal) < rules.Sight.LISTED:
            continue
        cell = cell_of(proposal.location, z, x, y)
        if cell is not None:
            cells[cell] += 1
    return Counter(cells.values())


def spread(project: Any, n: int, seed: int, **fields: Any) -> list[Proposal]:
    rng = random.Random(seed)
    x1, y1, x2, y2 = CENTRE_BOX
    return [
        ProposalFactory(
            project=project,
            location=Point(rng.uniform(x1, x2), rng.uniform(y1, y2), srid=4326),
            **fields,
        )
        for _ in range(n)
    ]


@pytest.fixture
def dense(settings: Any) -> dict[str, Any]:
    """A project whose z11 tile holds more proposals than the cluster threshold, some hidden
    from the public (pending, hidden by moderation, in an unpublished project)."""
    settings.MAP_TILE_CLUSTER_ABOVE = 10
    settings.MAP_TILE_CLUSTER_MAX_ZOOM = 14
    author = UserFactory(username="autorin")
    project = ProjectFactory(slug="dicht")
    draft = ProjectFactory(slug="entwurf", is_published=False)
    proposals = [
        *spread(project, 40, 1),
        *spread(project, 6, 2, visibility=Proposal.Visibility.PENDING, author=author),
        *spread(project, 5, 3, visibility=Proposal.Visibility.HIDDEN),
        *spread(draft, 4, 4),
        ProposalFactory(project=project, location=INSIDE),
    ]
    return {"author": author, "proposals": proposals}


def cluster_counts(client: Client, tmp_path: Path, z: int = Z, x: int = X, y: int = Y) -> Counter:
    response = client.get(tile_url(z, x, y))
    if response.status_code == 204:
        return Counter()
    assert response.status_code == 200
    assert layer_names(response.content, tmp_path, z, x, y) == ["clusters"]
    found = features(response.content, tmp_path, "clusters", z, x, y)
    for feature in found:
        # A cluster is not a proposal: its count, and nothing a proposal would carry.
        assert set(feature["properties"]) == {"count"}
    return Counter(feature["properties"]["count"] for feature in found)


def test_a_dense_tile_counts_per_cell_what_each_person_sees(
    client: Client, tmp_path: Path, dense: dict[str, Any]
) -> None:
    proposals = dense["proposals"]
    public = expected_counts(AnonymousUser(), proposals, Z, X, Y)
    assert sum(n * k for n, k in public.items()) == 41  # a precondition: all in this tile
    assert cluster_counts(client, tmp_path) == public

    client.force_login(dense["author"])
    own = expected_counts(dense["author"], proposals, Z, X, Y)
    assert sum(n * k for n, k in own.items()) == 47  # with the author's pending ones
    assert cluster_counts(client, tmp_path) == own

    boss = planner(username="planerin")
    client.force_login(boss)
    everything = expected_counts(boss, proposals, Z, X, Y)
    assert sum(n * k for n, k in everything.items()) == 56
    assert cluster_counts(client, tmp_path) == everything


def test_clusters_lie_among_their_proposals(client: Client, tmp_path: Path, settings: Any) -> None:
    settings.MAP_TILE_CLUSTER_ABOVE = 2
    project = ProjectFactory()
    here = [Point(INSIDE.x + dx, INSIDE.y, srid=4326) for dx in (0.0, 0.0002, 0.0004)]
    for point in here:
        ProposalFactory(project=project, location=point)
    response = client.get(tile_url())
    [cluster] = features(response.content, tmp_path, "clusters")
    assert cluster["properties"] == {"count": 3}
    lon, lat = cluster["geometry"]["coordinates"]
    # Their mean, to the tile's resolution (4096 units: about 13 m at z11).
    assert lon == pytest.approx(INSIDE.x + 0.0002, abs=3e-4)
    assert lat == pytest.approx(INSIDE.y, abs=3e-4)


def test_every_proposal_is_counted_once_over_the_tiles(
    client: Client, tmp_path: Path, dense: dict[str, Any], settings: Any
) -> None:
    settings.MAP_TILE_CLUSTER_ABOVE = 3  # most tiles of the project cluster, a few not
    z = 14  # the project spans several tiles at this zoom; their edges cut through it
    x1, y2 = tile_of(Point(CENTRE_BOX[0], CENTRE_BOX[1]), z)
    x2, y1 = tile_of(Point(CENTRE_BOX[2], CENTRE_BOX[3]), z)
    total, kinds = 0, Counter[str]()
    for x in range(x1, x2 + 1):
        for y in range(y1, y2 + 1):
            response = client.get(tile_url(z, x, y))
            if response.status_code == 204:
                continue
            [name] = layer_names(response.content, tmp_path, z, x, y)
            kinds[name] += 1
            found = features(response.content, tmp_path, name, z, x, y)
            if name == "clusters":
                total += sum(f["properties"]["count"] for f in found)
            else:
                # Pins come with the tile's buffer: only those inside the tile count here.
                assert len(found) <= 3 + 4
                total += sum(
                    1
                    for f in found
                    if cell_of(Point(*f["geometry"]["coordinates"], srid=4326), z, x, y)
                )
    assert kinds["clusters"] >= 2
    assert total == 41


def test_sparse_tiles_and_deep_zooms_carry_pins(
    client: Client, tmp_path: Path, dense: dict[str, Any], settings: Any
) -> None:
    # Deeper than MAP_TILE_CLUSTER_MAX_ZOOM: the pins themselves, however many.
    x, y = tile_of(INSIDE, 15)
    assert layer_names(client.get(tile_url(15, x, y)).content, tmp_path, 15, x, y) == ["proposals"]
    # At most MAP_TILE_CLUSTER_ABOVE in the tile: pins too.
    settings.MAP_TILE_CLUSTER_ABOVE = 41
    assert layer_names(client.get(tile_url()).content, tmp_path) == ["proposals"]
    settings.MAP_TILE_CLUSTER_ABOVE = 40
    assert layer_names(client.get(tile_url()).content, tmp_path) == ["clusters"]


def test_clusters_apply_the_list_filters(
    client: Client, tmp_path: Path, dense: dict[str, Any]
) -> None:
    assert client.get(tile_url(), {"project": "entwurf"}).status_code == 204  # unpublished
    counts = Counter[int]()
    response = client.get(tile_url(), {"project": "dicht"})
    for feature in features(response.content, tmp_path, "clusters"):
        counts[feature["properties"]["count"]] += 1
    assert sum(n * k for n, k in counts.items()) == 41


def test_cluster_query_uses_the_spatial_index_and_runs_one_branch(
    client: Client, settings: Any
) -> None:
    """As for pins (test_tiles.py): thousands of pins over the city, fresh statistics, and the
    planner chooses the GiST index on `location` by itself for a z13 tile's clusters."""
    settings.MAP_TILE_CLUSTER_ABOVE = 50
    project = ProjectFactory()
    author = UserFactory()
    rng = random.Random(15)
    Proposal.objects.bulk_create(
        Proposal(
            project=project,
            author=author,
            title=f"Idee {i}",
            location=Point(rng.uniform(7.62, 7.90), rng.uniform(49.37, 49.50), srid=4326),
        )
        for i in range(5000)
    )
    z = 13
    x, y = tile_of(INSIDE, z)
    client.get(tile_url(z, x, y))  # compiled and kept
    with CaptureQueriesContext(connection) as captured:
        response = client.get(tile_url(z, x, y))
    assert b"clusters" in response.content
    # The tile's one statement (the results rule is part of it): nothing more for clusters.
    assert len(captured.captured_queries) == 1
    sql = captured.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE proposals_proposal")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        constraints = connection.introspection.get_constraints(cursor, Proposal._meta.db_table)
    index = next(
        name
        for name, info in constraints.items()
        if info.get("type") == "gist" and info["columns"] == ["location"]
    )
    assert index in plan, plan
    # The pins' branch (with its vote totals per proposal) is never run for a dense tile.
    assert "never executed" in plan, plan
