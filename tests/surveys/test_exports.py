"""Exports for GIS staff: CSV with WKT, GeoJSON and GeoPackage read by GDAL's ogrinfo; never
the respondent's identity; home locations only as their grid cell's centre."""

import csv
import io
import subprocess

import pytest

from surveys.services import response_submit
from tests.factories import UserFactory
from tests.surveys.helpers import A, B, C, add, area, build_survey, line, point, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    s = build_survey()
    mode = add(s, "single", choices=["Rad", "Bus"])
    home = add(s, "point", is_home_location=True)
    spots = add(s, "point", max_count=2, feature_comment=True)
    route = add(s, "line")
    zone = add(s, "area")
    publish(s)
    s.q = {"mode": mode, "home": home, "spots": spots, "route": route, "zone": zone}
    response_submit(
        survey=s,
        user=UserFactory(username="erika", email="erika@example.org"),
        answers={
            mode.pk: mode.choices.first().pk,
            home.pk: [point(A)],
            spots.pk: [point(A, "Bügel fehlen"), point(B)],
            route.pk: [line(A, B)],
            zone.pk: [area(A, B, C)],
        },
    )
    return s


def url(s, fmt, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/surveys/{s.slug}/export.{fmt}" + (f"?{query}" if query else "")


def test_exports_are_for_gis_staff(client, survey):
    assert client.get(url(survey, "csv")).status_code == 403
    client.force_login(UserFactory())
    assert client.get(url(survey, "csv")).status_code == 403


def test_csv_has_a_row_per_response_and_wkt(client, survey, planner_user):
    client.force_login(planner_user)
    response = client.get(url(survey, "csv"))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "erika" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    q = survey.q
    row = rows[0]
    assert row[f"q{q['mode'].pk}"] == "Rad"
    assert row[f"q{q['spots'].pk}"] == "MULTIPOINT((7.7689 49.4447),(7.77 49.44))"
    assert row[f"q{q['spots'].pk}_comments"].startswith("Bügel fehlen")
    assert row[f"q{q['route'].pk}"].startswith("MULTILINESTRING(")
    assert row[f"q{q['zone'].pk}"].startswith("MULTIPOLYGON(")
    # The home location is its cell's centre, not the point given.
    assert row[f"q{q['home'].pk}"].startswith("MULTIPOINT(")
    assert "7.7689 49.4447" not in row[f"q{q['home'].pk}"]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_gdal_reads_the_feature_exports(client, survey, planner_user, tmp_path, fmt):
    client.force_login(planner_user)
    response = client.get(url(survey, fmt, srid=25832))
    assert response.status_code == 200
    target = tmp_path / f"export.{fmt}"
    target.write_bytes(b"".join(response.streaming_content))
    info = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "25832" in info
    if fmt == "gpkg":
        listing = subprocess.run(
            ["ogrinfo", "-ro", str(target)], capture_output=True, text=True, check=True
        ).stdout
        assert "points (Point)" in listing and "lines (Line String)" in listing
        assert "areas (Polygon)" in listing
    # Three points minus the home location, one line, one area; no respondent.
    assert "Feature Count: 2" in info or "Feature Count: 4" in info
    assert "erika" not in target.read_bytes().decode("latin-1")


def test_gdal_reads_the_shapefiles(client, survey, planner_user, tmp_path):
    client.force_login(planner_user)
    response = client.get(url(survey, "shp"))
    assert response.status_code == 200
    target = tmp_path / "export.shp.zip"
    target.write_bytes(b"".join(response.streaming_content))
    for layer, count in (("points", 2), ("lines", 1), ("areas", 1)):
        info = subprocess.run(
            ["ogrinfo", "-ro", "-so", f"/vsizip/{target}/{layer}.shp", layer],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert f"Feature Count: {count}" in info
        assert "q_text: String" in info
