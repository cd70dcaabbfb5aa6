"""The site import: files made with ogr2ogr, read by GDAL, stored all or nothing; exports of every
format and CRS read back unchanged."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import CommandError, call_command
from django.utils import translation

from audit.models import AuditEntry
from geo.models import Area
from locations.models import Site
from locations.services import site_save
from tests.factories import AreaFactory, UserFactory, box
from tests.geofiles import (
    BOW_TIE,
    feature,
    ogr2ogr,
    ogr_dump,
    point,
    rectangle,
    run,
    write_geojson,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


SITES = (
    feature(point(7.7689, 49.4447), external_id="S-1", name="Stiftsplatz", kind="square",
            description="Im Zentrum", flaeche=1200),
    feature(rectangle(7.760, 49.440, 7.762, 49.441), external_id="S-2", name="Brache Nord",
            kind="Vacant lot"),
    feature(point(7.7705, 49.4440), external_id="S-3", name="Schillerplatz", kind="Platz"),
)  # fmt: skip


def test_geojson_sites_are_imported_with_kinds_districts_and_attributes(tmp_path):
    district = AreaFactory(name="Innenstadt", geometry=box(7.74, 49.43, 7.79, 49.45))
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    out, _err = run("import_sites", str(path))
    assert "3 features read: 3 new, 0 updated, 0 unchanged, 0 refused." in out
    stift = Site.objects.get(external_id="S-1")
    assert stift.kind == Site.Kind.SQUARE
    assert stift.location.coords == pytest.approx((7.7689, 49.4447))
    assert stift.district == district
    assert stift.description == "Im Zentrum"
    assert stift.attributes == {"flaeche": 1200}
    lot = Site.objects.get(external_id="S-2")
    assert lot.kind == Site.Kind.LOT  # the English label is understood
    assert lot.outline is not None and lot.outline.covers(lot.location)
    assert Site.objects.get(external_id="S-3").kind == Site.Kind.SQUARE  # and the German one


def test_geopackage_in_utm_is_transformed_to_wgs84(tmp_path):
    source = write_geojson(tmp_path / "sites.geojson", *SITES)
    gpkg = tmp_path / "sites.gpkg"
    ogr2ogr("-f", "GPKG", str(gpkg), str(source), "-s_srs", "EPSG:4326", "-t_srs", "EPSG:25832",
            "-nln", "standorte")  # fmt: skip
    info = subprocess.run(["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True)
    assert 'ID["EPSG",25832]]' in info.stdout  # the file really is in UTM
    run("import_sites", str(gpkg), "--layer", "standorte")
    stift = Site.objects.get(external_id="S-1")
    assert stift.location.srid == 4326
    assert stift.location.x == pytest.approx(7.7689, abs=1e-7)
    assert stift.location.y == pytest.approx(49.4447, abs=1e-7)
    assert Site.objects.count() == 3


def test_second_import_updates_instead_of_duplicating(tmp_path):
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    run("import_sites", str(path))
    first = Site.objects.get(external_id="S-1")
    changed = [dict(f, properties=dict(f["properties"])) for f in SITES]
    changed[0]["properties"]["name"] = "Stiftsplatz (neu)"
    changed[0]["geometry"] = point(7.7690, 49.4448)
    write_geojson(path, *changed)
    out, _err = run("import_sites", str(path))
    assert "feature 1 (id 'S-1'): updated name, location" in out
    assert "feature 2 (id 'S-2'): unchanged" in out
    assert "0 new, 1 updated, 2 unchanged" in out
    assert Site.objects.count() == 3
    again = Site.objects.get(external_id="S-1")
    assert again.pk == first.pk and again.slug == first.slug
    assert again.name == "Stiftsplatz (neu)"
    assert again.location.coords == pytest.approx((7.7690, 49.4448))


def test_dry_run_validates_and_stores_nothing(tmp_path):
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    out, _err = run("import_sites", str(path), "--dry-run")
    assert "3 new" in out and "Dry run" in out
    assert Site.objects.count() == 0


def test_one_self_intersecting_polygon_stores_nothing_and_is_reported(tmp_path):
    path = write_geojson(
        tmp_path / "sites.geojson",
        SITES[0],
        feature(BOW_TIE, external_id="S-9", name="Fliege", kind="lot"),
        SITES[2],
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 features were refused, so nothing was stored"):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    assert Site.objects.count() == 0
    report = err.getvalue()
    assert "feature 2 (id 'S-9'): outline:" in report
    assert "Self-intersection" in report
    assert "Traceback" not in report


def test_skip_invalid_stores_the_valid_ones(tmp_path):
    path = write_geojson(
        tmp_path / "sites.geojson",
        SITES[0],
        feature(BOW_TIE, external_id="S-9", name="Fliege", kind="lot"),
    )
    out, err = io.StringIO(), io.StringIO()
    # Stored, but the exit status still says that a feature was refused.
    with pytest.raises(CommandError, match="skipped the refused ones"):
        call_command("import_sites", str(path), "--skip-invalid", stdout=out, stderr=err)
    assert "1 new, 0 updated, 0 unchanged, 1 refused" in out.getvalue()
    assert "feature 2 (id 'S-9')" in err.getvalue()
    assert list(Site.objects.values_list("external_id", flat=True)) == ["S-1"]


def test_every_problem_of_every_feature_is_reported(tmp_path):
    path = write_geojson(
        tmp_path / "sites.geojson",
        feature(point(7.7, 49.4), external_id="A", name="", kind="spaceport"),
        feature(None, external_id="B", name="Nirgendwo", kind="lot"),
        feature({"type": "GeometryCollection", "geometries": []}, external_id="C", name="Leer",
                kind="lot"),
        feature(point(200.0, 49.4), external_id="D", name="Weit weg", kind="lot"),
        feature({"type": "LineString", "coordinates": [[7.7, 49.4], [7.71, 49.41]]},
                external_id="E", name="Strecke", kind="street_space"),
        feature(point(7.7, 49.4), name="Ohne Id", kind="lot"),
        feature(point(7.7, 49.4), external_id="A", name="Doppelt", kind="lot"),
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError, match="7 of 7 features"):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "feature 1 (id 'A'): name: The name is missing." in report
    assert "feature 1 (id 'A'): kind: Unknown kind 'spaceport'" in report
    assert "feature 2 (id 'B'): geometry: The feature has no geometry." in report
    assert "feature 3 (id 'C'): geometry: The geometry is empty." in report
    # Checked against EPSG:4326's area of use before anything transforms it.
    assert "feature 4 (id 'D'): geometry: The coordinates lie outside the area where EPSG:4326" in (
        report
    )
    assert (
        "feature 5 (id 'E'): geometry: A site is a point or a polygon, not a LineString" in report
    )
    assert "feature 6: external_id: The id is missing." in report
    assert "feature 7 (id 'A'): external_id: The id appears twice in the file (also feature 1)" in (
        report
    )
    assert Site.objects.count() == 0


def test_coordinates_outside_the_crs_are_refused_before_transforming(tmp_path):
    path = write_geojson(
        tmp_path / "utm.geojson", feature(point(5e7, 5e7), external_id="X", name="X", kind="lot")
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_sites", str(path), "--srid", "25832", stdout=io.StringIO(),
                     stderr=err)  # fmt: skip
    assert "The coordinates lie outside the area where EPSG:25832 is used" in err.getvalue()


def test_progress_bar_only_when_asked(tmp_path):
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    _out, err = run("import_sites", str(path), "--dry-run")
    assert "%" not in err  # stderr is not a terminal here
    _out, err = run("import_sites", str(path), "--dry-run", "--progress")
    assert "100% (3/3)" in err


def test_point_outline_pairs_keep_the_district(tmp_path):
    AreaFactory(name="Mitte", geometry=box(7.74, 49.43, 7.79, 49.45))
    path = write_geojson(tmp_path / "s.geojson", SITES[1])
    run("import_sites", str(path))
    lot = Site.objects.get()
    assert lot.district is not None
    assert lot.outline is not None
    assert lot.outline.covers(Point(lot.location.x, lot.location.y, srid=4326))


# Round trips: an export of every format and CRS, imported back, changes nothing.

CITY = box(7.62, 49.36, 7.90, 49.52)  # a box around Kaiserslautern's boundary
EXTENSION = {"geojson": "geojson", "gpkg": "gpkg", "shp": "shp.zip", "csv": "csv"}
# An L-shaped square: its centroid lies outside it, the point does not.
L_SHAPE = MultiPolygon(
    Polygon(((7.768, 49.444), (7.770, 49.444), (7.770, 49.4445), (7.769, 49.4445),
             (7.769, 49.4455), (7.768, 49.4455), (7.768, 49.444))),
    srid=4326,
)  # fmt: skip


@pytest.fixture
def city():
    return AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY, geometry=CITY)


@pytest.fixture
def sites(city):
    AreaFactory(name="Innenstadt", geometry=box(7.74, 49.43, 7.79, 49.45))
    return [
        site_save(
            name="Stiftsplatz", kind=Site.Kind.SQUARE, outline=L_SHAPE,
            location=Point(7.7685, 49.4450, srid=4326),
            # Longer than the 254 bytes a Shapefile keeps, with umlauts (two bytes each).
            description="Platz im Zentrum, Grünfläche, Bäume. " * 12,
            external_id="S-1", is_approximate=True, attributes={"flaeche": 1200},
        ),
        site_save(
            name="Schillerplatz", kind=Site.Kind.SQUARE,
            location=Point(7.77051234, 49.44401234, srid=4326),
        ),
        site_save(
            name="Brache „Nord“", kind=Site.Kind.LOT,
            outline=box(7.760, 49.440, 7.762, 49.441), external_id="S-2",
            description="Ehemaliges Gelände,\n„mit Altlasten“",  # a line break, a comma
        ),
    ]  # fmt: skip


def snapshot() -> list[dict]:
    """Every stored column of every site, geometry as exact binary."""
    rows = []
    for site in Site.objects.order_by("pk"):
        row = {f.attname: getattr(site, f.attname) for f in Site._meta.concrete_fields}
        row["location"] = bytes(site.location.ewkb)
        row["outline"] = bytes(site.outline.ewkb) if site.outline else None
        rows.append(row)
    return rows


def export(tmp_path: Path, fmt: str, srid: int, *extra: str) -> Path:
    target = tmp_path / f"sites-epsg{srid}.{EXTENSION[fmt]}"
    call_command(
        "export_data", "sites", "--format", fmt, "--srid", str(srid), *extra, "-o", str(target)
    )
    return target


@pytest.mark.parametrize("srid", [4326, 25832])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
def test_round_trip_of_every_export_format_and_crs_changes_nothing(sites, tmp_path, fmt, srid):
    before = snapshot()
    path = export(tmp_path, fmt, srid)
    # A CSV names no CRS: the file name says it, --srid gives it.
    out, err = run("import_sites", str(path), *(["--srid", str(srid)] if fmt == "csv" else []))
    assert "3 features read: 0 new, 0 updated, 3 unchanged, 0 refused." in out, err
    assert snapshot() == before


def test_round_trip_of_csv_with_coordinate_columns(sites, tmp_path):
    before = snapshot()
    path = export(tmp_path, "csv", 25832, "--csv-geometry", "xy")
    out, _err = run("import_sites", str(path), "--srid", "25832")
    assert "3 unchanged" in out
    assert snapshot() == before


def test_a_changed_export_updates_only_what_changed(sites, tmp_path):
    """The issue's case: GeoPackage in EPSG:25832, one name edited in GIS, imported back."""
    path = export(tmp_path, "gpkg", 25832)
    subprocess.run(
        ["ogrinfo", str(path), "-dialect", "SQLite", "-sql",
         "UPDATE sites SET name = 'Stiftsplatz (neu)' WHERE slug = 'stiftsplatz'"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    before = {row["id"]: row for row in snapshot()}
    out, _err = run("import_sites", str(path))
    assert "feature 1 (id 'S-1'): updated name" in out
    assert "0 new, 1 updated, 2 unchanged, 0 refused" in out
    after = {row["id"]: row for row in snapshot()}
    stift = sites[0].pk
    changed = {k for k in after[stift] if after[stift][k] != before[stift][k]}
    assert changed == {"name", "updated_at"}
    assert after[stift]["outline"] == before[stift]["outline"]  # the outline is kept
    assert after[stift]["is_approximate"] is True
    assert {k: v for k, v in after.items() if k != stift} == {
        k: v for k, v in before.items() if k != stift
    }


def test_shapefile_names_cut_by_gdal_map_back(sites, tmp_path):
    """A Shapefile GIS staff made themselves from the GeoJSON export: GDAL cut the names."""
    geojson = export(tmp_path, "geojson", 25832)
    folder = tmp_path / "own"
    folder.mkdir()
    # Without the outline column: its GeoJSON text would not fit dBASE's 254 characters.
    # UTF-8: GDAL's default (Latin-1) would lose the quotation marks of „Nord“.
    ogr2ogr("-f", "ESRI Shapefile", str(folder / "standorte.shp"), str(geojson), "-select",
            "id,name,slug,kind,district,description,external_id,has_outline,is_approximate",
            "-lco", "ENCODING=UTF-8")  # fmt: skip
    fields = ogr_dump(str(folder / "standorte.shp"))["features"][0]["properties"]
    assert {"descriptio", "external_i", "is_approxi", "has_outlin"} <= set(fields)
    sites[1].refresh_from_db()
    before = snapshot()
    out, _err = run("import_sites", str(folder / "standorte.shp"))
    assert "3 unchanged" in out
    assert snapshot() == before


def test_what_the_file_does_not_hold_is_kept_unless_clearing_is_asked(sites, tmp_path):
    stift = sites[0]
    path = write_geojson(
        tmp_path / "names.geojson",
        feature(point(7.7685, 49.4450), external_id="S-1", name="Stiftsplatz", description=""),
    )
    out, _err = run("import_sites", str(path))
    assert "feature 1 (id 'S-1'): unchanged" in out
    stift.refresh_from_db()
    assert stift.description.startswith("Platz im Zentrum")
    assert stift.outline is not None and stift.is_approximate and stift.attributes
    out, _err = run("import_sites", str(path), "--clear-empty")
    assert "feature 1 (id 'S-1'): updated description" in out
    stift.refresh_from_db()
    assert stift.description == ""
    assert stift.outline is not None  # the file has no outline column: nothing said about it


def test_sites_outside_the_city_are_refused(city, tmp_path):
    """A site in New York, in an EPSG:3857 file: refused, and nothing is stored."""
    path = write_geojson(
        tmp_path / "webmercator.geojson",
        feature(point(-8238310.0, 4970072.0), external_id="NY", name="Times Square", kind="square"),
        feature(point(862771.0, 6358462.0), external_id="KL", name="Stiftsplatz", kind="square"),
        crs=3857,
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 features were refused"):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    assert "feature 1 (id 'NY'): geometry: The geometry lies outside the city" in err.getvalue()
    assert "longitude -74.00" in err.getvalue()
    assert Site.objects.count() == 0


def test_the_margin_is_a_setting(city, tmp_path, settings):
    # About 700 m east of the boundary box.
    path = write_geojson(
        tmp_path / "s.geojson",
        feature(point(7.91, 49.45), external_id="E", name="Rand", kind="lot"),
    )
    settings.IMPORT_CITY_MARGIN_M = 1000
    run("import_sites", str(path), "--dry-run")
    settings.IMPORT_CITY_MARGIN_M = 100
    with pytest.raises(CommandError, match="1 features would be refused"):
        run("import_sites", str(path), "--dry-run")


def test_an_unclosed_ring_is_named_as_such(city, tmp_path):
    ring = [[7.76, 49.44], [7.77, 49.44], [7.77, 49.45], [7.76, 49.45]]
    path = write_geojson(
        tmp_path / "s.geojson",
        feature({"type": "Polygon", "coordinates": [ring]}, external_id="R", name="Ring",
                kind="lot"),
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "geometry: Ring 1 of the polygon is not closed" in report
    assert "coordinate reference system" not in report and "WGS 84" not in report
    assert "GDAL_ERROR" not in report and "Non closed ring" not in report  # said once, by us


def test_imports_are_audited(sites, tmp_path):
    gis = UserFactory(username="gis")
    path = export(tmp_path, "gpkg", 4326)
    run("import_sites", str(path), "--user", "gis")
    entry = AuditEntry.objects.get(action="import")
    assert entry.actor == gis
    assert entry.object_type == "import.sites"
    assert entry.after["file"] == str(path.resolve())
    assert (entry.after["unchanged"], entry.after["created"], entry.after["stored"]) == (3, 0, True)
    with pytest.raises(CommandError, match="no account"):
        run("import_sites", str(path), "--user", "nobody")
    # A dry run stores nothing and is not logged as an import.
    run("import_sites", str(path), "--dry-run")
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_a_site_without_external_id_is_found_by_its_slug(sites, tmp_path):
    path = write_geojson(
        tmp_path / "s.geojson",
        feature(point(7.7706, 49.4441), slug="schillerplatz", name="Schillerplatz"),
    )
    out, _err = run("import_sites", str(path))
    assert "feature 1 (id 'schillerplatz'): updated location" in out
    assert Site.objects.count() == 3
    assert json.loads(Site.objects.get(slug="schillerplatz").location.geojson)["coordinates"] == (
        pytest.approx([7.7706, 49.4441])
    )


def test_a_slug_never_merges_two_sites_with_different_external_ids(sites, tmp_path):
    path = write_geojson(
        tmp_path / "s.geojson",
        feature(point(7.7685, 49.4450), external_id="NEU", slug="stiftsplatz", name="Andere",
                kind="lot"),
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 features were refused"):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    assert "feature 1 (id 'NEU'): slug: " in err.getvalue()
    assert Site.objects.get(slug="stiftsplatz").external_id == "S-1"
