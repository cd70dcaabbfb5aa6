"""The proposals export, read back with GDAL's own tools: counts, CRS, coordinates, fields, no
hidden data; the export mechanism's options, temporary files and memory."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tracemalloc
from pathlib import Path
from typing import cast

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import CommandError, call_command
from django.utils import translation

from geo.exports import export_options, geojson_chunks
from geo.models import Area
from proposals.exports import SHAPEFILE_NAMES
from proposals.models import Project, Proposal
from tests.factories import (
    INSIDE,
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    VoteFactory,
)
from tests.geofiles import epsg_of, feature_count, ogr_dump, ogrinfo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# Stiftsplatz in ETRS89 / UTM 32N: about 410 760 E, 5 477 621 N.
INSIDE_UTM = cast(Point, Point(INSIDE.x, INSIDE.y, srid=4326).transform(25832, clone=True))


@pytest.fixture
def data():
    # Voting with live results: the export carries the totals (secret ones stay null, see
    # tests/api/test_feature_spec.py).
    project = ProjectFactory(
        slug="stadtraum", voting=True, results_visibility=Project.ResultsVisibility.LIVE
    )
    category = CategoryFactory(project=project, name="Kultur")
    shown = ProposalFactory(project=project, title="Boule-Bahn", category=category)
    other = ProposalFactory(project=project, title="Bühne", location=Point(7.75, 49.435, srid=4326))
    for _ in range(3):
        VoteFactory(proposal=shown)
    CommentFactory(proposal=shown)
    CommentFactory(proposal=shown, is_hidden=True)
    pending = ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING)
    hidden = ProposalFactory(project=project, visibility=Proposal.Visibility.HIDDEN)
    draft = ProposalFactory(project=ProjectFactory(is_published=False))
    elsewhere = ProposalFactory(project=ProjectFactory(slug="logistik"))
    outline = MultiPolygon(Polygon.from_bbox((7.768, 49.444, 7.770, 49.4455)), srid=4326)
    SiteFactory(name="Stiftsplatz", external_id="S-1", outline=outline)
    SiteFactory(name="Schillerplatz", location=Point(7.7705, 49.4440, srid=4326))
    AreaFactory(name="Innenstadt-West", external_id="D-1", population=12345)
    AreaFactory(name="Innenstadt-Ost", population=None)
    AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY)
    return {
        "project": project,
        "shown": shown,
        "other": other,
        "elsewhere": elsewhere,
        "absent": {pending.pk, hidden.pk, draft.pk},
    }


@pytest.mark.parametrize("srid", [4326, 25832])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_proposals_export_opens_in_gdal_with_the_right_crs_and_count(data, tmp_path, fmt, srid):
    suffix = {"geojson": "geojson", "gpkg": "gpkg", "shp": "shp.zip"}[fmt]
    target = tmp_path / f"proposals.{suffix}"
    call_command(
        "export_data", "proposals", "--format", fmt, "--srid", str(srid),
        "--project", "stadtraum", "-o", str(target),
    )  # fmt: skip
    source = f"/vsizip/{target}" if fmt == "shp" else str(target)
    info = ogrinfo(source)
    assert feature_count(info) == 2
    assert epsg_of(info) == srid

    features = {f["properties"]["id"]: f for f in ogr_dump(source)["features"]}
    assert set(features) == {data["shown"].pk, data["other"].pk}
    x, y = features[data["shown"].pk]["geometry"]["coordinates"]
    if srid == 25832:
        assert 400_000 < x < 420_000 and 5_470_000 < y < 5_485_000
        assert x == pytest.approx(INSIDE_UTM.x, abs=0.01)
        assert y == pytest.approx(INSIDE_UTM.y, abs=0.01)
    else:
        assert (x, y) == pytest.approx((INSIDE.x, INSIDE.y), abs=1e-7)
    props = features[data["shown"].pk]["properties"]
    comments = "comments" if fmt == "shp" else "comment_count"
    assert props["vote_count"] == 3
    assert props[comments] == 1  # the hidden comment is not counted
    assert props["title"] == "Boule-Bahn"
    assert props["category"] == "Kultur"
    assert props["project"] == "stadtraum"
    assert "author" not in props and "email" not in props


def test_shapefile_field_names_fit_dbase_and_stay_readable(data, tmp_path):
    target = tmp_path / "p.shp.zip"
    call_command("export_data", "proposals", "--format", "shp", "-o", str(target))
    listing = subprocess.run(
        ["unzip", "-l", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "proposals.shp" in listing and "proposals.prj" in listing and "proposals.cpg" in listing
    props = ogr_dump(f"/vsizip/{target}")["features"][0]["properties"]
    assert all(len(name) <= 10 for name in props)
    assert {"comments", "created", "descript", "vote_count"} <= set(props)
    assert all(len(short) <= 10 for short in SHAPEFILE_NAMES.values())
    # Text is not cut at GDAL's default 80 characters, and the time of day survives.
    assert "T" in props["created"]


@pytest.mark.parametrize("srid", [4326, 25832])
def test_csv_with_wkt_column(data, tmp_path, srid):
    target = tmp_path / "p.csv"
    call_command(
        "export_data", "proposals", "--format", "csv", "--srid", str(srid), "-o", str(target)
    )
    rows = {
        int(r["id"]): r for r in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))
    }
    assert set(rows) == {data["shown"].pk, data["other"].pk, data["elsewhere"].pk}
    wkt = rows[data["shown"].pk]["WKT"]
    assert wkt.startswith("POINT (")
    x, y = (float(v) for v in wkt[len("POINT (") : -1].split())
    expected = INSIDE_UTM if srid == 25832 else INSIDE
    assert (x, y) == pytest.approx((expected.x, expected.y), abs=0.01 if srid == 25832 else 1e-7)
    assert rows[data["shown"].pk]["vote_count"] == "3"
    assert rows[data["shown"].pk]["created_at"][4] == "-"  # ISO 8601, not 2024/05/01
    assert feature_count(ogrinfo(str(target))) == 3


def test_csv_with_xy_columns(data, tmp_path):
    target = tmp_path / "p.csv"
    call_command(
        "export_data", "proposals", "--format", "csv", "--csv-geometry", "xy",
        "--project", "stadtraum", "-o", str(target),
    )  # fmt: skip
    reader = csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))
    assert reader.fieldnames is not None and reader.fieldnames[:2] == ["X", "Y"]
    rows = {int(r["id"]): r for r in reader}
    assert float(rows[data["shown"].pk]["X"]) == pytest.approx(INSIDE.x)
    assert float(rows[data["shown"].pk]["Y"]) == pytest.approx(INSIDE.y)


def test_hidden_pending_and_draft_proposals_are_never_exported(data):
    options = export_options(dataset="proposals")
    collection = json.loads("".join(geojson_chunks(options)))
    ids = {f["id"] for f in collection["features"]}
    assert ids == {data["shown"].pk, data["other"].pk, data["elsewhere"].pk}
    assert not ids & data["absent"]


def test_bad_options_give_clear_errors(data, tmp_path):
    with pytest.raises(CommandError, match="project"):
        call_command("export_data", "proposals", "--project", "nope", "-o", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="csv_geometry"):
        call_command(
            "export_data", "districts", "--format", "csv", "--csv-geometry", "xy",
            "-o", str(tmp_path / "d.csv"),
        )  # fmt: skip
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_data", "sites", "-o", str(tmp_path / "missing" / "x.geojson"))


def test_no_temporary_files_are_left_behind(data, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    call_command("export_data", "proposals", "--format", "gpkg", "-o", str(tmp_path / "p.gpkg"))
    assert list((tmp_path / "tmp").iterdir()) == []
    assert (tmp_path / "p.gpkg").stat().st_size > 0


def _streaming_peak(project_slug: str, sink: Path) -> tuple[int, int]:
    """Peak Python allocation (bytes) while streaming the GeoJSON to a file, and its size."""
    options = export_options(dataset="proposals", project=project_slug)
    written = 0
    with sink.open("w", encoding="utf-8") as out:
        tracemalloc.start()
        try:
            for chunk in geojson_chunks(options):
                out.write(chunk)
                written += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, written


def test_geojson_export_memory_stays_flat(tmp_path):
    ProjectFactory(slug="small")
    big = ProjectFactory(slug="big")
    call_command("generate_load", project="small", proposals=2_000, seed=3, stdout=io.StringIO())
    call_command("generate_load", project="big", proposals=20_000, seed=4, stdout=io.StringIO())
    assert Proposal.objects.filter(project=big).count() == 20_000

    small_peak, small_size = _streaming_peak("small", tmp_path / "small.geojson")
    big_peak, big_size = _streaming_peak("big", tmp_path / "big.geojson")

    assert big_size > 9 * small_size  # ten times the data went through
    assert big_peak < 20 * 1024 * 1024
    assert big_peak < big_size / 2  # the collection is never held as a whole
    # Ten times the features, but the peak is about the same: memory does not grow with size.
    assert big_peak < 2 * small_peak + 1024 * 1024
    assert feature_count(ogrinfo(str(tmp_path / "big.geojson"))) == 20_000
