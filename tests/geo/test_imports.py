"""Reading GIS files and geo's own import, the areas: files made with ogr2ogr, read by GDAL,
stored all or nothing, messages that say what is wrong."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from audit.models import AuditEntry
from geo.models import Area
from tests.factories import AreaFactory, box
from tests.geofiles import BOW_TIE, feature, ogr2ogr, point, rectangle, run, write_geojson

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


DISTRICT = ("--kind", "district")


def test_shapefile_districts_plain_and_zipped(tmp_path):
    source = write_geojson(
        tmp_path / "districts.geojson",
        feature(rectangle(7.74, 49.43, 7.765, 49.45), bez_id=1, bez_name="West", einwohner=9000),
        feature(rectangle(7.765, 49.43, 7.79, 49.45), bez_id=2, bez_name="Ost", einwohner=None),
    )
    folder = tmp_path / "shape"
    folder.mkdir()
    ogr2ogr("-f", "ESRI Shapefile", str(folder / "bezirke.shp"), str(source),
            "-t_srs", "EPSG:25832")  # fmt: skip
    options = ["--kind", "district", "--id-field", "bez_id", "--name-field", "bez_name",
               "--population-field", "einwohner", "--source", "Stadt KL"]  # fmt: skip
    out, _err = run("import_areas", str(folder / "bezirke.shp"), *options)
    assert "2 new" in out
    west = Area.objects.get(external_id="1")
    assert (west.name, west.kind, west.population, west.source) == (
        "West",
        "district",
        9000,
        "Stadt KL",
    )
    assert west.geometry.extent == pytest.approx((7.74, 49.43, 7.765, 49.45), abs=1e-7)
    assert Area.objects.get(external_id="2").population is None

    # The same data as a zip with the Shapefile in a sub-folder: an update, not duplicates.
    archive = tmp_path / "bezirke.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in folder.iterdir():
            zipped.write(file, f"daten/{file.name}")
    out, _err = run("import_areas", str(archive), *options)
    assert "0 new, 0 updated, 2 unchanged" in out
    assert Area.objects.count() == 2


def test_area_refusals(tmp_path):
    path = write_geojson(
        tmp_path / "areas.geojson",
        feature(BOW_TIE, external_id="1", name="Fliege", population=10),
        feature(point(7.7, 49.4), external_id="2", name="Punkt", population=10),
        feature(rectangle(7.7, 49.4, 7.71, 49.41), external_id="3", name="Neg", population=-5),
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 of 3"):
        call_command("import_areas", str(path), "--kind", "district", stdout=io.StringIO(),
                     stderr=err)  # fmt: skip
    report = err.getvalue()
    assert "feature 1 (id '1'): geometry: " in report and "Self-intersection" in report
    assert "feature 2 (id '2'): geometry: Expected a polygon, not a Point." in report
    assert "feature 3 (id '3'): population: " in report
    assert Area.objects.count() == 0


def test_new_area_never_takes_over_another_areas_slug(tmp_path):
    existing = AreaFactory(name="West", slug="west", external_id="old")
    path = write_geojson(
        tmp_path / "a.geojson", feature(rectangle(7.7, 49.4, 7.71, 49.41), external_id="new",
                                        name="West")
    )  # fmt: skip
    run("import_areas", str(path), "--kind", "district")
    existing.refresh_from_db()
    assert existing.external_id == "old"
    assert Area.objects.get(external_id="new").slug == "west-2"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a GIS file", "GDAL cannot read"),
        (b'{"type": "FeatureCollection", "features": [', r"is truncated: its JSON ends"),
        (
            b'{"type": "FeatureCollection", "features": [}',
            r"is not valid JSON: Expecting value at line 1, column 44",
        ),
    ],
)
def test_unreadable_file_is_a_clean_error(tmp_path, content, message):
    path = tmp_path / "broken.geojson"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import_areas", str(path), *DISTRICT)


def test_missing_file_bad_zip_and_missing_fields_are_clean_errors(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        run("import_areas", str(tmp_path / "nope.gpkg"), *DISTRICT)
    bad_zip = tmp_path / "x.zip"
    bad_zip.write_bytes(b"PK but not really")
    with pytest.raises(CommandError, match="not a readable zip"):
        run("import_areas", str(bad_zip), *DISTRICT)
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as zipped:
        zipped.writestr("readme.txt", "nothing here")
    with pytest.raises(CommandError, match="no Shapefile, GeoPackage or GeoJSON"):
        run("import_areas", str(empty_zip), *DISTRICT)
    path = write_geojson(
        tmp_path / "a.geojson",
        feature(rectangle(7.7, 49.4, 7.71, 49.41), external_id="1", name="A"),
    )
    with pytest.raises(CommandError, match=r"no field 'titel'.*--name-field"):
        run("import_areas", str(path), "--name-field", "titel", *DISTRICT)
    with pytest.raises(CommandError, match="no layer 'x'"):
        run("import_areas", str(path), "--layer", "x", *DISTRICT)


def test_command_line_exit_status_and_no_traceback(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"garbage")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_areas", str(path),
         "--kind", "district", "--skip-checks"],
        capture_output=True, text=True, env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    assert result.returncode == 1
    assert "CommandError" in result.stderr
    assert "Traceback" not in result.stderr
    # GDAL's own message is quoted in ours once, not printed beside it.
    assert "GDAL_ERROR" not in result.stderr and "ERROR 4" not in result.stderr


CITY = box(7.62, 49.36, 7.90, 49.52)


def test_districts_outside_the_city_are_refused(tmp_path, settings):
    AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY, geometry=CITY)
    settings.IMPORT_CITY_MARGIN_M = 500
    path = write_geojson(
        tmp_path / "d.geojson",
        feature(rectangle(7.74, 49.43, 7.79, 49.45), external_id="1", name="Innenstadt"),
        # Reaching about 2 km beyond the boundary box: more than the margin.
        feature(rectangle(7.85, 49.43, 7.93, 49.45), external_id="2", name="Zu weit"),
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 features were refused"):
        call_command("import_areas", str(path), *DISTRICT, stdout=io.StringIO(), stderr=err)
    assert "feature 2 (id '2'): geometry: The geometry lies outside the city" in err.getvalue()
    assert "plus 500 m" in err.getvalue()
    assert not Area.objects.filter(kind=Area.Kind.DISTRICT).exists()
    settings.IMPORT_CITY_MARGIN_M = 3000
    out, _err = run("import_areas", str(path), *DISTRICT)
    assert "2 new" in out


def test_without_a_city_boundary_the_report_says_nothing_was_checked(tmp_path):
    path = write_geojson(
        tmp_path / "d.geojson", feature(rectangle(7.74, 49.43, 7.79, 49.45), external_id="1",
                                        name="Innenstadt")
    )  # fmt: skip
    _out, err = run("import_areas", str(path), *DISTRICT)
    assert "No city boundary is stored" in err


def test_an_unclosed_ring_is_not_called_a_crs_problem(tmp_path):
    ring = [[7.74, 49.43], [7.79, 49.43], [7.79, 49.45], [7.74, 49.45]]
    path = write_geojson(
        tmp_path / "d.geojson",
        feature({"type": "Polygon", "coordinates": [ring]}, external_id="1", name="Offen"),
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_areas", str(path), *DISTRICT, stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "feature 1 (id '1'): geometry: Ring 1 of the polygon is not closed" in report
    assert "starts at (7.74 49.43) and ends at (7.74 49.45)" in report
    assert "WGS 84" not in report and "coordinate reference system" not in report


def _truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_truncated_files_are_called_truncated(tmp_path):
    source = write_geojson(
        tmp_path / "d.geojson",
        *(feature(rectangle(7.74 + i / 1000, 49.43, 7.75 + i / 1000, 49.44), external_id=str(i),
                  name=f"B{i}") for i in range(200)),
    )  # fmt: skip
    gpkg = tmp_path / "d.gpkg"
    ogr2ogr("-f", "GPKG", str(gpkg), str(source))
    with sqlite3.connect(gpkg) as db:  # the file really is complete before it is cut
        assert db.execute("SELECT count(*) FROM d").fetchone() == (200,)
    _truncate(gpkg, 0.6)
    with pytest.raises(CommandError, match=r"d.gpkg is truncated: it has \d+ of the \d+ bytes"):
        run("import_areas", str(gpkg), *DISTRICT)

    folder = tmp_path / "shp"
    folder.mkdir()
    ogr2ogr("-f", "ESRI Shapefile", str(folder / "d.shp"), str(source))
    _truncate(folder / "d.shp", 0.5)
    with pytest.raises(CommandError, match=r"d.shp is truncated"):
        run("import_areas", str(folder / "d.shp"), *DISTRICT)

    archive = tmp_path / "d.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in (folder).iterdir():
            zipped.write(file, file.name)
    # The zip's members are whole, the Shapefile inside them is not.
    with pytest.raises(CommandError, match=r"d.zip is truncated"):
        run("import_areas", str(archive), *DISTRICT)
    _truncate(archive, 0.7)
    with pytest.raises(CommandError, match=r"not a readable zip file \(is it truncated\?\)"):
        run("import_areas", str(archive), *DISTRICT)

    _truncate(source, 0.5)
    with pytest.raises(CommandError, match=r"d.geojson is truncated"):
        run("import_areas", str(source), *DISTRICT)


def test_absurd_coordinates_are_refused_before_any_transformation(tmp_path):
    """PROJ spins for tens of seconds on them: the file's CRS cannot hold such numbers."""
    path = write_geojson(
        tmp_path / "d.geojson",
        feature({"type": "Polygon", "coordinates": [[[1e20, 1e20], [2e20, 1e20], [2e20, 2e20],
                                                     [1e20, 1e20]]]}, external_id="1", name="X"),
        crs=3857,
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_areas", str(path), *DISTRICT, stdout=io.StringIO(), stderr=err)
    assert "are impossible in EPSG:3857" in err.getvalue()


def test_area_imports_are_audited_and_a_reimport_changes_nothing(tmp_path):
    AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY, geometry=CITY)
    path = write_geojson(
        tmp_path / "d.geojson",
        feature(rectangle(7.74, 49.43, 7.79, 49.45), external_id="1", name="Innenstadt",
                population=9000),
    )  # fmt: skip
    run("import_areas", str(path), *DISTRICT)
    out, _err = run("import_areas", str(path), *DISTRICT)
    assert "feature 1 (id '1'): unchanged" in out
    entries = list(AuditEntry.objects.filter(action="import").order_by("pk"))
    assert [e.object_type for e in entries] == ["import.areas.district"] * 2
    assert (entries[0].after["created"], entries[1].after["unchanged"]) == (1, 1)
    assert entries[0].after["file"] == str(path.resolve())


def test_districts_export_round_trip(tmp_path):
    AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY, geometry=CITY)
    AreaFactory(name="West", external_id="W", geometry=box(7.74, 49.43, 7.765, 49.45),
                is_approximate=True, population=None)  # fmt: skip
    before = list(Area.objects.order_by("pk").values())
    target = tmp_path / "d.shp.zip"
    call_command("export_data", "districts", "--format", "shp", "--srid", "25832",
                 "-o", str(target))  # fmt: skip
    out, _err = run("import_areas", str(target), *DISTRICT)
    assert "1 unchanged" in out
    assert list(Area.objects.order_by("pk").values()) == before


def test_gdal_messages_are_not_printed_beside_ours(tmp_path):
    """Django logs GDAL's errors (printed in debug mode); our message says it once, clearly."""
    path = tmp_path / "cut.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geo')
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DJANGO_DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_areas", str(path),
         "--kind", "district", "--skip-checks"],
        capture_output=True, text=True, env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("cut.geojson") == 1
    assert "truncated" in result.stderr or "abgeschnitten" in result.stderr
    assert "GDAL_ERROR" not in result.stderr and "Failed to read GeoJSON" not in result.stderr


def test_a_district_without_external_id_is_found_by_its_slug_and_keeps_what_is_not_given(
    tmp_path,
):
    AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY, geometry=CITY)
    west = AreaFactory(name="West", slug="west", geometry=box(7.74, 49.43, 7.765, 49.45),
                       population=9000)  # fmt: skip
    path = write_geojson(
        tmp_path / "d.geojson",
        feature(rectangle(7.74, 49.43, 7.765, 49.45), slug="west", name="West (neu)"),
    )
    out, _err = run("import_areas", str(path), *DISTRICT)
    assert "feature 1 (id 'west'): updated name" in out
    west.refresh_from_db()
    assert (west.name, west.population, west.external_id) == ("West (neu)", 9000, None)
    assert Area.objects.filter(kind=Area.Kind.DISTRICT).count() == 1
