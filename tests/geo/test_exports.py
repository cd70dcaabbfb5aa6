"""The export mechanism with geo's own data set, the districts; the registry; the audit log."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from audit.models import AuditEntry
from geo import exports
from geo.exports import export_options, geojson_chunks
from geo.models import Area
from tests.factories import AreaFactory, UserFactory
from tests.geofiles import epsg_of, feature_count, ogr_dump, ogrinfo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def districts():
    AreaFactory(name="Innenstadt-West", external_id="D-1", population=12345)
    AreaFactory(name="Innenstadt-Ost", population=None)
    AreaFactory(name="Kaiserslautern", kind=Area.Kind.CITY)


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_districts_export_has_population_and_only_districts(districts, tmp_path, fmt):
    target = tmp_path / ("d.shp.zip" if fmt == "shp" else f"d.{fmt}")
    call_command("export_data", "districts", "--format", fmt, "--srid", "25832", "-o", str(target))
    source = f"/vsizip/{target}" if fmt == "shp" else str(target)
    info = ogrinfo(source)
    assert feature_count(info) == 2
    assert epsg_of(info) == 25832
    assert "Polygon" in info  # "Multi Polygon" or "Polygon" (Shapefile does not distinguish)
    props = {f["properties"]["name"]: f["properties"] for f in ogr_dump(source)["features"]}
    assert props["Innenstadt-West"]["population"] == 12345
    assert props["Innenstadt-Ost"]["population"] is None
    assert "Kaiserslautern" not in props


def test_geojson_4326_has_no_crs_member(districts):
    collection = json.loads("".join(geojson_chunks(export_options(dataset="districts"))))
    assert "crs" not in collection
    assert len(collection["features"]) == 2


def test_each_app_registers_its_own_data_set():
    """geo knows no domain model: the sites and proposals come from their apps' `ready()`."""
    assert set(exports.datasets()) == {"districts", "sites", "proposals"}
    assert exports.dataset("sites").layers.__module__ == "locations.exports"
    assert exports.dataset("proposals").layers.__module__ == "proposals.exports"
    with pytest.raises(ValidationError) as refused:
        export_options(dataset="votes")
    assert "dataset" in refused.value.message_dict


def test_exports_are_audited(districts, tmp_path):
    gis = UserFactory(username="gis")
    target = tmp_path / "d.gpkg"
    call_command("export_data", "districts", "--format", "gpkg", "--user", "gis@example.org",
                 "-o", str(target))  # fmt: skip
    call_command("export_data", "districts", "-o", "-", stdout=io.StringIO())
    first, second = AuditEntry.objects.filter(action="export").order_by("pk")
    assert first.actor == gis
    assert first.object_type == "export.districts"
    assert first.after["features"] == {"districts": 2}
    assert first.after["format"] == "gpkg"
    assert str(target.resolve()) in first.after["destination"]
    assert second.actor is None
    assert second.after["destination"].startswith("stdout (system user ")
