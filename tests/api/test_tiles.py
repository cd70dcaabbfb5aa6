"""Vector tiles of proposals, read by GDAL's MVT driver: contents, visibility, filters, caching."""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.v1.tiles import tile_rows, tile_sql
from infra import pagecache
from proposals.maps import project_map, proposal_tiles_url
from proposals.models import Proposal
from tests.factories import (
    INSIDE,
    OUTSIDE,
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
    VoteFactory,
    planner,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kept_tiles() -> None:
    pagecache.forget_all()


MVT = "application/vnd.mapbox-vector-tile"
Z = 15
# Another pin in the same z=15 tile as INSIDE (Stiftsplatz), about 100 m to the east.
NEARBY = Point(INSIDE.x + 0.0012, INSIDE.y, srid=4326)


def tile_of(point: Point, z: int) -> tuple[int, int]:
    """The Web Mercator (slippy map) tile holding a lon/lat point."""
    n = 2**z
    x = int((point.x + 180) / 360 * n)
    lat = math.radians(point.y)
    y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n)
    return x, y


X, Y = tile_of(INSIDE, Z)


def tile_url(z: int = Z, x: int = X, y: int = Y) -> str:
    return reverse("api-v1:proposal-tiles", kwargs={"z": z, "x": x, "y": y})


def decode(body: bytes, tmp_path: Path, z: int = Z, x: int = X, y: int = Y) -> dict[int, dict]:
    """The tile's features as GDAL reads them: {id: {"properties": …, "lon": …, "lat": …}}."""
    assert shutil.which("ogr2ogr"), "GDAL's ogr2ogr (gdal-bin) is needed"
    source = tmp_path / f"tile-{z}-{x}-{y}.mvt"
    source.write_bytes(body)
    args = [
        "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"MVT:{source}",
        "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo", "CLIP=NO",
        "-t_srs", "EPSG:4326",
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    collection = json.loads(result.stdout)
    found = {}
    for feature in collection["features"]:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        found[props["id"]] = {"properties": props, "lon": lon, "lat": lat}
    return found


def layers(body: bytes, tmp_path: Path) -> list[str]:
    source = tmp_path / "layers.mvt"
    source.write_bytes(body)
    result = subprocess.run(
        ["ogrinfo", "-ro", "-q", "-oo", f"Z={Z}", "-oo", f"X={X}", "-oo", f"Y={Y}", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split(":", 1)[1].split("(")[0].strip() for line in result.stdout.splitlines()]


def fetch(client: Client, url: str | None = None, **params: Any) -> Any:
    return client.get(url or tile_url(), params)


def test_tile_holds_the_pins_inside_with_their_properties(client: Client, tmp_path: Path) -> None:
    project = ProjectFactory(slug="innenstadt")
    category = CategoryFactory(project=project, color="#aa3300")
    here = ProposalFactory(project=project, title="Bänke am Stiftsplatz", category=category)
    near = ProposalFactory(project=project, title="Baum", location=NEARBY)
    away = ProposalFactory(project=project, title="Weit weg", location=OUTSIDE)

    response = fetch(client)

    assert response.status_code == 200
    assert response["Content-Type"] == MVT
    assert layers(response.content, tmp_path) == ["proposals"]
    features = decode(response.content, tmp_path)
    assert set(features) == {here.pk, near.pk}
    assert away.pk not in features
    props = features[here.pk]["properties"]
    assert props["title"] == "Bänke am Stiftsplatz"
    assert props["category_color"] == "#aa3300"
    assert props["status"] == Proposal.Status.SUBMITTED
    # Ideas are still being collected: no vote totals on the map yet.
    assert "vote_count" not in props or props["vote_count"] is None
    assert features[near.pk]["properties"].get("category_color") is None
    # A tile has 4096 units per side: at z=15 one unit is about 30 cm.
    assert features[here.pk]["lon"] == pytest.approx(INSIDE.x, abs=1e-5)
    assert features[here.pk]["lat"] == pytest.approx(INSIDE.y, abs=1e-5)
    assert features[near.pk]["lon"] == pytest.approx(NEARBY.x, abs=1e-5)


def test_the_tile_holding_the_outside_pin_has_only_that_one(client: Client, tmp_path: Path) -> None:
    project = ProjectFactory()
    ProposalFactory(project=project)
    away = ProposalFactory(project=project, location=OUTSIDE)
    x, y = tile_of(OUTSIDE, Z)
    response = fetch(client, tile_url(Z, x, y))
    assert set(decode(response.content, tmp_path, Z, x, y)) == {away.pk}


def test_vote_totals_only_where_results_are_public(client: Client, tmp_path: Path) -> None:
    now = timezone.now()
    closed = ProjectFactory(
        slug="abgeschlossen",
        ideas_start=now - timedelta(days=30),
        ideas_end=now - timedelta(days=20),
        voting_start=now - timedelta(days=10),
        voting_end=now - timedelta(days=1),
    )
    running = ProjectFactory(slug="laeuft", voting=True)
    counted = ProposalFactory(project=closed)
    secret = ProposalFactory(project=running, location=NEARBY)
    for proposal in (counted, counted, secret):
        VoteFactory(proposal=proposal)

    features = decode(fetch(client).content, tmp_path)

    assert features[counted.pk]["properties"]["vote_count"] == 2
    assert features[secret.pk]["properties"].get("vote_count") is None


def test_hidden_and_pending_pins_only_for_whom_may_see_them(
    client: Client, citizen: Any, tmp_path: Path
) -> None:
    project = ProjectFactory()
    public = ProposalFactory(project=project)
    pending = ProposalFactory(
        project=project, author=citizen, visibility=Proposal.Visibility.PENDING, location=NEARBY
    )
    hidden = ProposalFactory(project=project, visibility=Proposal.Visibility.HIDDEN)
    draft = ProposalFactory(project=ProjectFactory(is_published=False))

    assert set(decode(fetch(client).content, tmp_path)) == {public.pk}
    client.force_login(citizen)
    assert set(decode(fetch(client).content, tmp_path)) == {public.pk, pending.pk}
    client.force_login(planner(username="p"))
    assert set(decode(fetch(client).content, tmp_path)) == {
        public.pk,
        pending.pk,
        hidden.pk,
        draft.pk,
    }


def test_filters_as_in_the_list(client: Client, tmp_path: Path) -> None:
    project = ProjectFactory(slug="eins")
    other = ProjectFactory(slug="zwei")
    culture = CategoryFactory(project=project, slug="kultur")
    a = ProposalFactory(project=project, category=culture, status=Proposal.Status.ACCEPTED)
    b = ProposalFactory(project=project, location=NEARBY)
    c = ProposalFactory(project=other)

    def ids(**params: str) -> set[int]:
        response = fetch(client, **params)
        if response.status_code == 204:
            return set()
        return set(decode(response.content, tmp_path))

    assert ids() == {a.pk, b.pk, c.pk}
    assert ids(project="eins") == {a.pk, b.pk}
    assert ids(project="zwei") == {c.pk}
    assert ids(project="eins", category="kultur") == {a.pk}
    assert ids(status=Proposal.Status.ACCEPTED) == {a.pk}
    assert ids(project="zwei", status=Proposal.Status.ACCEPTED) == set()
    assert ids(project="keins") == set()


def test_bad_filters_are_400_with_field_messages(client: Client) -> None:
    response = fetch(client, status="vielleicht", category="kein slug!")
    assert response.status_code == 400
    assert set(response.json()) == {"status", "category"}


def test_empty_tile_is_204(client: Client) -> None:
    ProposalFactory()
    response = fetch(client, tile_url(Z, 0, 0))
    assert response.status_code == 204
    assert response.content == b""
    assert response["Cache-Control"] == "public, max-age=60"


@pytest.mark.parametrize(
    ("z", "x", "y", "field"),
    [(23, 0, 0, "z"), (2, 4, 0, "x"), (2, 0, 4, "y"), (0, 1, 0, "x"), (99, 0, 0, "z")],
)
def test_tiles_outside_the_grid_are_400(client: Client, z: int, x: int, y: int, field: str) -> None:
    response = fetch(client, tile_url(z, x, y))
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tiles/proposals/-1/0/0.mvt",
        "/api/v1/tiles/proposals/a/0/0.mvt",
        "/api/v1/tiles/proposals/1/0/0.png",
        "/api/v1/tiles/proposals/1/0.mvt",
    ],
)
def test_paths_that_name_no_tile_are_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_world_and_deepest_tiles(client: Client, tmp_path: Path) -> None:
    pin = ProposalFactory()
    assert set(decode(fetch(client, tile_url(0, 0, 0)).content, tmp_path, 0, 0, 0)) == {pin.pk}
    x, y = tile_of(INSIDE, 22)
    response = fetch(client, tile_url(22, x, y))
    assert set(decode(response.content, tmp_path, 22, x, y)) == {pin.pk}


def test_cache_headers_public_for_anonymous_private_when_signed_in(
    client: Client, citizen: Any
) -> None:
    ProposalFactory()
    anonymous = fetch(client)
    assert anonymous["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in anonymous["Vary"]
    etag = anonymous["ETag"]
    again = client.get(tile_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert client.get(tile_url(), HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert client.get(tile_url(), HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert client.get(tile_url(), HTTP_IF_NONE_MATCH="*").status_code == 304

    client.force_login(citizen)
    signed_in = fetch(client)
    assert signed_in["Cache-Control"] == "private, max-age=60"


def test_a_changed_tile_gets_a_new_etag(client: Client) -> None:
    project = ProjectFactory()
    ProposalFactory(project=project)
    before = fetch(client)["ETag"]
    ProposalFactory(project=project, location=NEARBY)
    after = client.get(tile_url(), HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after["ETag"] != before


def test_query_count_does_not_grow_with_the_pins(
    client: Client, citizen: Any, django_assert_num_queries: Any
) -> None:
    project = ProjectFactory(slug="viele", voting=True, results_visibility="live")
    ProposalFactory.create_batch(3, project=project)
    # The project's data version, then the tile: whose vote totals show (the results rule) is
    # part of its statement. The same tile again is the kept one: the version alone.
    with django_assert_num_queries(2):
        assert fetch(client, project="viele").status_code == 200
    with django_assert_num_queries(1):
        assert fetch(client, project="viele").status_code == 200
    ProposalFactory.create_batch(30, project=project, location=NEARBY)
    with django_assert_num_queries(2):
        assert fetch(client, project="viele").status_code == 200
    client.force_login(citizen)
    fetch(client)  # the session is loaded once per request; count a warm one
    # + the session, its user and the user's groups (who is a planner sees more)
    with django_assert_num_queries(4):
        assert fetch(client, project="viele").status_code == 200


def test_tile_query_uses_the_spatial_index() -> None:
    """The `&&` test against the tile's square is one the GiST index on `location` answers.

    With a realistic spread of pins (thousands over the city, a few in one z15 tile) and fresh
    statistics, the planner must choose the index by itself; nothing is switched off.
    """
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
    rows = tile_rows(AnonymousUser(), None, Z, X, Y)
    sql, params = tile_sql(rows, Z, X, Y)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE proposals_proposal")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        constraints = connection.introspection.get_constraints(cursor, Proposal._meta.db_table)
    index = next(
        name
        for name, info in constraints.items()
        if info.get("type") == "gist" and info["columns"] == ["location"]
    )
    assert index in plan, plan


def test_tile_url_in_the_map_matches_the_route() -> None:
    assert proposal_tiles_url().format(z=3, x=4, y=5) == tile_url(3, 4, 5)


def test_project_map_offers_tiles_with_the_pins_filters(settings: Any) -> None:
    settings.MAP_VECTOR_TILE_THRESHOLD = 1234
    project = ProjectFactory(slug="stadt")
    rendered = project_map(project, pins_url="/api/v1/proposals/?project=stadt&category=kultur")

    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js" in rendered.header
    start = rendered.script.index("tiles: ") + len("tiles: ")
    tiles, _end = json.JSONDecoder().raw_decode(rendered.script[start:])
    assert tiles == {
        "url": "/api/v1/tiles/proposals/{z}/{x}/{y}.mvt?project=stadt&category=kultur",
        "threshold": 1234,
        "maxZoom": settings.MAP_TILE_MAX_ZOOM,
        "proposalUrl": "/projekte/stadt/vorschlaege/{id}/",
        "detailUrl": "/api/v1/proposals/{id}/",
    }


def test_a_visitor_s_tile_of_a_project_is_kept_until_its_data_changes(
    client: Client, citizen: Any, tmp_path: Path, django_assert_num_queries: Any
) -> None:
    """Every visitor gets the same tile of a project: it is kept by the project's data version,
    phase and whether its totals are public. Each write it shows makes a new one at once."""
    project = ProjectFactory(slug="platz", voting=True)  # totals secret while voting
    pin = ProposalFactory(project=project)
    first = fetch(client, project="platz")
    with django_assert_num_queries(1):  # the data version only
        again = fetch(client, project="platz")
    assert again.content == first.content and again["ETag"] == first["ETag"]

    # A vote while the totals are secret shows nowhere: the tile stays.
    VoteFactory(proposal=pin)
    with django_assert_num_queries(1):
        assert fetch(client, project="platz").content == first.content

    # A new pin, a moderation, a totals setting: each shows on the next request.
    near = ProposalFactory(project=project, location=NEARBY)
    assert set(decode(fetch(client, project="platz").content, tmp_path)) == {pin.pk, near.pk}
    Proposal.objects.filter(pk=near.pk).update(visibility=Proposal.Visibility.HIDDEN)
    assert set(decode(fetch(client, project="platz").content, tmp_path)) == {pin.pk}
    project.results_visibility = "live"
    project.save()
    features = decode(fetch(client, project="platz").content, tmp_path)
    assert features[pin.pk]["properties"]["vote_count"] == 1

    # A signed-in person's tile is theirs (their own pending pins): never kept, never shared.
    client.force_login(citizen)
    mine = ProposalFactory(
        project=project, author=citizen, visibility=Proposal.Visibility.PENDING, location=NEARBY
    )
    assert mine.pk in decode(fetch(client, project="platz").content, tmp_path)
    client.logout()
    assert mine.pk not in decode(fetch(client, project="platz").content, tmp_path)


def test_tiles_of_all_projects_or_with_the_cache_off_are_not_kept(
    client: Client, settings: Any, django_assert_num_queries: Any
) -> None:
    project = ProjectFactory(slug="platz")
    ProposalFactory(project=project)
    fetch(client)
    with django_assert_num_queries(1):  # no single project: the tile itself, every time
        fetch(client)
    settings.PAGE_CACHE_MB = 0
    settings.PAGE_CACHE_BYTES = 0
    fetch(client, project="platz")
    with django_assert_num_queries(1):  # the cache off: the tile itself, no version read
        fetch(client, project="platz")
