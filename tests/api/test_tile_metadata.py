"""Vector tiles as a standard: TileJSON, OGC API - Tiles, and the tiles of sites and districts,
read by GDAL's MVT driver."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geo.models import Area
from tests.factories import AreaFactory, ProjectFactory, ProposalFactory, SiteFactory

pytestmark = pytest.mark.django_db

# Kaiserslautern at zoom 14.
Z, X, Y = 14, 8545, 5595
KL = Point(7.7689, 49.4447, srid=4326)
BOX = MultiPolygon(Polygon.from_bbox((7.75, 49.43, 7.79, 49.46)), srid=4326)


@pytest.fixture
def data():  # type: ignore[no-untyped-def]
    ProposalFactory(project=ProjectFactory(), title="Bühne", location=KL)
    SiteFactory(slug="stiftsplatz", name="Stiftsplatz", location=KL)
    AreaFactory(slug="innenstadt", name="Innenstadt", geometry=BOX, population=12000)
    AreaFactory(slug="stadt", kind=Area.Kind.CITY, geometry=BOX)


@pytest.mark.parametrize("layer", ["proposals", "sites", "districts"])
def test_tilejson_describes_each_layer(client, data, layer):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/tiles/{layer}.json")
    assert response.status_code == 200
    document = response.json()
    assert document["tilejson"] == "3.0.0"
    [template] = document["tiles"]
    assert template.startswith("http://testserver/api/v1/tiles/")
    assert template.endswith("/{z}/{x}/{y}.mvt")
    url = template.replace("http://testserver", "").format(z=Z, x=X, y=Y)
    tile = client.get(url)
    assert tile.status_code == 200
    assert tile["Content-Type"] == "application/vnd.mapbox-vector-tile"
    vector_layer, *more = document["vector_layers"]
    assert vector_layer["id"] == layer
    # Proposal tiles carry clusters instead of pins where a tile holds too many.
    assert more == (
        [
            {
                "id": "clusters",
                "description": more[0]["description"],
                "minzoom": 0,
                "maxzoom": 16,
                "fields": {"count": "Number"},
            }
        ]
        if layer == "proposals"
        else []
    )
    assert document["maxzoom"] == 22
    west, south, east, north = document["bounds"]
    assert west <= KL.x <= east and south <= KL.y <= north
    if layer == "districts":
        assert vector_layer["fields"] == {
            "name": "String",
            "slug": "String",
            "population": "Number",
        }
    if layer == "proposals":
        assert vector_layer["fields"]["vote_count"] == "Number"
    assert client.get("/api/v1/tiles/nichts.json").status_code == 404


def test_layer_tiles_check_their_input(client, data):  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/tiles/sites/23/0/0.mvt").status_code == 400
    assert client.get("/api/v1/tiles/sites/1/2/0.mvt").status_code == 400
    assert client.get("/api/v1/tiles/nichts/1/0/0.mvt").status_code == 404
    assert client.get("/api/v1/tiles/sites/14/0/0.mvt").status_code == 204
    tile = client.get(f"/api/v1/tiles/districts/{Z}/{X}/{Y}.mvt")
    assert tile["Cache-Control"] == "public, max-age=60"
    again = client.get(f"/api/v1/tiles/districts/{Z}/{X}/{Y}.mvt", HTTP_IF_NONE_MATCH=tile["ETag"])
    assert again.status_code == 304


def test_ogc_api_tiles_documents(client, data):  # type: ignore[no-untyped-def]
    collection = client.get("/ogc/collections/districts").json()
    [tilesets_link] = [
        link for link in collection["links"]
        if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    ]  # fmt: skip
    tilesets = client.get(tilesets_link["href"]).json()
    [summary] = tilesets["tilesets"]
    assert summary["dataType"] == "vector"
    assert summary["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    tileset_url = next(link["href"] for link in summary["links"] if link["rel"] == "self")
    tileset = client.get(tileset_url).json()
    [item] = [link for link in tileset["links"] if link["rel"] == "item"]
    assert item["templated"] is True and item["type"] == "application/vnd.mapbox-vector-tile"
    assert item["href"].endswith("/ogc/collections/districts/tiles/WebMercatorQuad/"
                                 "{tileMatrix}/{tileRow}/{tileCol}")  # fmt: skip
    [layer] = tileset["layers"]
    assert layer["geometryDimension"] == 2
    # OGC's order: matrix, row (y), column (x).
    url = item["href"].replace("http://testserver", "").format(tileMatrix=Z, tileRow=Y, tileCol=X)
    tile = client.get(url)
    assert tile.status_code == 200
    assert tile.content == client.get(f"/api/v1/tiles/districts/{Z}/{X}/{Y}.mvt").content
    swapped = client.get(url.replace(f"/{Y}/{X}", f"/{X}/{Y}"))
    assert swapped.status_code in (204, 404)

    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert len(tms["tileMatrices"]) == 23
    assert tms["tileMatrices"][0]["scaleDenominator"] == pytest.approx(559082264.0287178)
    assert client.get("/ogc/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    for path in (
        "/ogc/tileMatrixSets/WorldCRS84Quad",
        "/ogc/collections/site-outlines/tiles",
        "/ogc/collections/districts/tiles/WebMercatorQuad/23/0/0",
        "/ogc/collections/districts/tiles/WebMercatorQuad/1/2/0",
        "/ogc/collections/districts/tiles/WorldCRS84Quad/1/0/0",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NotFound"


def test_gdal_reads_the_tiles(client, data, tmp_path: Path) -> None:
    tool = shutil.which("ogrinfo")
    if tool is None:
        pytest.fail("ogrinfo is not installed: install gdal-bin (make system).")
    found: dict[str, Any] = {}
    for layer in ("proposals", "sites", "districts"):
        path = tmp_path / f"{layer}.mvt"
        path.write_bytes(client.get(f"/api/v1/tiles/{layer}/{Z}/{X}/{Y}.mvt").content)
        result = subprocess.run(
            [tool, "-ro", "-al", f"MVT:{path}", "-oo", f"Z={Z}", "-oo", f"X={X}", "-oo", f"Y={Y}"],
            capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        found[layer] = result.stdout
    assert "Layer name: districts" in found["districts"]
    assert "name (String) = Innenstadt" in found["districts"]
    assert "population (Integer" in found["districts"]
    assert "MULTIPOLYGON" in found["districts"] or "POLYGON" in found["districts"]
    assert "name (String) = Stiftsplatz" in found["sites"]
    assert "title (String) = Bühne" in found["proposals"]
