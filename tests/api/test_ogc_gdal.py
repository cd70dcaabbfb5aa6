"""OGC API - Features read by the real GDAL tools (ogrinfo, ogr2ogr) over HTTP."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point, Polygon

from geo.models import Area
from locations.models import Site
from proposals.models import Proposal
from tests.factories import (
    AreaFactory,
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = 3000
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"


def gdal(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a GDAL tool; fail the test, with GDAL's own words, when it fails."""
    tool = shutil.which(args[0])
    if tool is None:
        pytest.fail(f"{args[0]} is not installed: install gdal-bin (make system).")
    result = subprocess.run(
        [tool, *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env={"CPL_DEBUG": "ON", "GDAL_HTTP_TIMEOUT": "60", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture
def data() -> dict[str, object]:
    """3000 public proposals spread over the perimeter, plus ones nobody outside may see."""
    project = ProjectFactory(slug="stadtraum")
    draft = ProjectFactory(is_published=False)
    category = CategoryFactory(project=project, name="Kultur")
    author = UserFactory()
    rng = random.Random(20240501)

    def proposal(i: int, **kwargs: object) -> Proposal:
        location = Point(rng.uniform(7.741, 7.789), rng.uniform(49.431, 49.449), srid=4326)
        fields = {"project": project, "category": category, "author": author, **kwargs}
        return Proposal(title=f"Idee {i}", location=location, **fields)  # type: ignore[arg-type]

    Proposal.objects.bulk_create([proposal(i) for i in range(PUBLIC)], batch_size=1000)
    Proposal.objects.bulk_create(
        [proposal(i, visibility=Proposal.Visibility.PENDING) for i in range(40)]
        + [proposal(i, visibility=Proposal.Visibility.HIDDEN) for i in range(40)]
        + [proposal(i, project=draft) for i in range(40)]
    )
    AreaFactory(slug="innenstadt")
    SiteFactory(slug="stiftsplatz")
    public = set(
        Proposal.objects.filter(
            visibility=Proposal.Visibility.PUBLISHED, project__is_published=True
        ).values_list("pk", flat=True)
    )
    assert len(public) == PUBLIC
    assert Area.objects.count() == 1 and Site.objects.count() == 1
    return {"public": public}


def test_ogrinfo_lists_collections_and_counts_features(live_server, data):  # type: ignore[no-untyped-def]
    url = f"OAPIF:{live_server.url}/ogc/"
    listing = gdal("ogrinfo", "-ro", url).stdout
    layers = set(re.findall(r"^\d+: ([\w-]+)", listing, re.M))
    assert layers == {"sites", "site-outlines", "proposals", "districts", "survey-cells"}

    summary = gdal("ogrinfo", "-ro", "-so", url, "proposals").stdout
    assert re.search(rf"^Feature Count: {PUBLIC}$", summary, re.M), summary
    assert re.search(r"^Geometry: Point$", summary, re.M), summary
    # GDAL 3.6 reads every collection as WGS 84 in lon/lat order, which is our CRS84 default.
    assert 'GEOGCRS["WGS 84"' in summary
    assert "Data axis to CRS axis mapping: 2,1" in summary
    for field in ("title", "project", "category", "status", "is_option", "vote_count"):
        assert re.search(rf"^{field}: ", summary, re.M), summary
    assert "author" not in summary

    # A spatial filter goes to the server as bbox (CRS84) and is answered there.
    box = (7.75, 49.435, 7.77, 49.445)
    inside = set(
        Proposal.objects.filter(
            pk__in=data["public"], location__intersects=Polygon.from_bbox(box)
        ).values_list("pk", flat=True)
    )
    assert 0 < len(inside) < PUBLIC
    result = gdal(
        "ogrinfo", "-ro", "-so", url, "proposals", "-spat", *map(str, box), "-oo", "PAGE_SIZE=1000"
    )
    assert re.search(rf"^Feature Count: {len(inside)}$", result.stdout, re.M), result.stdout
    assert re.search(r"items\?[^)\s]*bbox=7\.75,49\.43\d*,7\.7\d*,49\.44\d*", result.stderr)


def test_ogr2ogr_pages_through_every_public_proposal(live_server, data, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"OAPIF:{live_server.url}/ogc/"
    out = tmp_path / "out.gpkg"
    result = gdal(
        # The GeoJSON `id` becomes the OGR FID; -preserve_fid keeps it in the GeoPackage.
        "ogr2ogr",
        "-f",
        "GPKG",
        "-preserve_fid",
        str(out),
        url,
        "proposals",
        "-oo",
        "PAGE_SIZE=1000",
    )
    # CPL_DEBUG shows each HTTP request: the driver followed our next links page by page.
    requested = re.findall(r"/ogc/collections/proposals/items\?[^\s\"']*", result.stderr)
    offsets = {int(m) for u in requested for m in re.findall(r"[?&]offset=(\d+)", u)}
    assert {1000, 2000} <= offsets, result.stderr[-3000:]

    with sqlite3.connect(out) as db:
        fids = {row[0] for row in db.execute("SELECT fid FROM proposals")}
        srs = db.execute(
            "SELECT s.organization, s.organization_coordsys_id FROM gpkg_geometry_columns g "
            "JOIN gpkg_spatial_ref_sys s USING (srs_id) WHERE g.table_name = 'proposals'"
        ).fetchone()
    assert len(fids) == PUBLIC
    assert fids == data["public"]
    assert srs == ("EPSG", 4326)

    # The coordinates survive the trip: compare a few with the database.
    csv_path = tmp_path / "xy.csv"
    gdal(
        "ogr2ogr",
        "-f",
        "CSV",
        str(csv_path),
        str(out),
        "-sql",
        # `fid * 1`: a bare fid column would become the (unwritten) FID of the CSV rows.
        "SELECT fid * 1 AS pid, ST_MinX(geom) AS x, ST_MinY(geom) AS y FROM proposals",
    )
    with csv_path.open() as fh:
        rows = {int(r["pid"]): (float(r["x"]), float(r["y"])) for r in csv.DictReader(fh)}
    for proposal in Proposal.objects.filter(pk__in=sorted(fids)[::500]):
        x, y = rows[proposal.pk]
        assert abs(x - proposal.location.x) < 1e-6 and abs(y - proposal.location.y) < 1e-6


def test_crs_epsg_25832(live_server, data):  # type: ignore[no-untyped-def]
    # Debian 12's GDAL 3.6 OAPIF driver cannot ask for a CRS (its CRS open option came with
    # 3.7), so the request a newer client makes is made over plain HTTP here.
    collection_url = f"{live_server.url}/ogc/collections/proposals"
    with urllib.request.urlopen(f"{collection_url}?f=json") as response:  # noqa: S310
        collection = json.load(response)
    assert EPSG_25832 in collection["crs"]
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{collection_url}/items?limit=5&crs={EPSG_25832}",
        headers={"Accept": "application/geo+json, application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.headers["Content-Crs"] == f"<{EPSG_25832}>"
        assert response.headers["Content-Type"] == "application/geo+json"
        document = json.load(response)
    assert document["numberMatched"] == PUBLIC
    for feature in document["features"]:
        expected = Proposal.objects.get(pk=feature["id"]).location.transform(25832, clone=True)
        x, y = feature["geometry"]["coordinates"]
        assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01  # type: ignore[attr-defined]


def test_gdal_reads_every_collection_of_the_demo_completely(live_server, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Kaiserslautern's demo: points, polygons and pages, each collection read in full."""
    import io

    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    expected = {
        "sites": set(Site.objects.values_list("pk", flat=True)),
        "districts": set(Area.objects.filter(kind=Area.Kind.DISTRICT).values_list("pk", flat=True)),
        "proposals": set(
            Proposal.objects.filter(
                visibility=Proposal.Visibility.PUBLISHED, project__is_published=True
            ).values_list("pk", flat=True)
        ),
    }
    assert all(expected.values())
    url = f"OAPIF:{live_server.url}/ogc/"
    for name, ids in expected.items():
        out = tmp_path / f"{name}.gpkg"
        # A page size below the collection's size makes GDAL follow the next links.
        gdal("ogr2ogr", "-f", "GPKG", "-preserve_fid", str(out), url, name, "-oo", "PAGE_SIZE=5")
        with sqlite3.connect(out) as db:
            fids = {row[0] for row in db.execute(f"SELECT fid FROM {name}")}  # noqa: S608
            kind = db.execute(
                "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?", [name]
            ).fetchone()[0]
        assert fids == ids, name
        assert kind == ("POINT" if name != "districts" else "MULTIPOLYGON"), (name, kind)


def test_gdal_types_fields_from_the_schema_and_filters_on_the_server(live_server):  # type: ignore[no-untyped-def]
    """vote_count is an integer although the first features hold no total; `-where` and
    `-spat` are answered by the server (CQL text and bbox), not by GDAL after downloading all."""
    secret = ProjectFactory(slug="geheim", voting=True, results_visibility="after_voting")
    live = ProjectFactory(slug="live", voting=True, results_visibility="live")
    rng = random.Random(7)

    def point() -> Point:
        return Point(rng.uniform(7.741, 7.789), rng.uniform(49.431, 49.449), srid=4326)

    # The secret project's proposals come first (lower ids): their totals are null.
    for i in range(30):
        ProposalFactory(project=secret, title=f"Geheim {i}", location=point())
    counted = []
    for i in range(60):
        proposal = ProposalFactory(project=live, title=f"Offen {i}", location=point())
        VoteFactory.create_batch(i % 5, proposal=proposal)
        counted.append((proposal, i % 5))
    url = f"OAPIF:{live_server.url}/ogc/"

    summary = gdal("ogrinfo", "-ro", "-so", url, "proposals", "-oo", "PAGE_SIZE=10")
    assert re.search(r"^vote_count: Integer ", summary.stdout, re.M), summary.stdout
    assert re.search(r"^comment_count: Integer ", summary.stdout, re.M), summary.stdout
    assert re.search(r"^created_at: DateTime ", summary.stdout, re.M), summary.stdout
    assert re.search(r"^is_option: Integer\(Boolean\) ", summary.stdout, re.M), summary.stdout
    assert "Using JSON schema" in summary.stderr

    box = (7.75, 49.435, 7.78, 49.445)
    expected = {
        proposal.pk
        for proposal, votes in counted
        if votes > 2 and Polygon.from_bbox(box).intersects(proposal.location)
    }
    assert 0 < len(expected) < 60
    result = gdal(
        "ogrinfo", "-ro", "-q", url, "proposals", "-oo", "PAGE_SIZE=1000",
        "-where", "vote_count > 2 AND project = 'live'", "-spat", *map(str, box),
        "-fid", "-1",
    )  # fmt: skip
    # The conditions went to the server as CQL text, the box as bbox.
    requested = [
        line for line in result.stderr.splitlines() if "/collections/proposals/items?" in line
    ]
    assert any("filter=" in line and "filter-lang=cql-text" in line for line in requested), (
        result.stderr[-3000:]
    )
    assert any("bbox=" in line for line in requested)
    listing = gdal(
        "ogr2ogr", "-f", "CSV", "/vsistdout/", url, "proposals", "-oo", "PAGE_SIZE=1000",
        "-where", "vote_count > 2 AND project = 'live'", "-spat", *map(str, box),
        "-select", "title,vote_count",
    )  # fmt: skip
    rows = list(csv.DictReader(listing.stdout.splitlines()))
    titles = {row["title"] for row in rows}
    assert titles == {p.title for p, _ in counted if p.pk in expected}
    assert all(int(row["vote_count"]) > 2 for row in rows)
