"""Download views: only GIS staff and planners, the right content types, GeoJSON streamed."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import roles
from proposals.models import Proposal
from tests.factories import ProjectFactory, ProposalFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def gis_staff(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="gis", role=roles.GIS_STAFF)


@pytest.fixture
def data():
    project = ProjectFactory(slug="stadtraum")
    shown = ProposalFactory(project=project, title="Boule-Bahn")
    ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING)
    ProposalFactory(project=ProjectFactory(slug="logistik"))
    SiteFactory(name="Stiftsplatz")
    return {"project": project, "shown": shown}


def url(name: str, **query: str) -> str:
    base = reverse("exports:download", kwargs={"dataset": name.split(".")[0],
                                               "extension": name.split(".", 1)[1]})  # fmt: skip
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return content


def test_anonymous_is_refused(client, data):
    response = client.get(url("proposals.geojson"), headers={"accept-language": "en"})
    # 401 with a challenge: GIS tools then send their credentials (an access token).
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic realm=")
    assert "sign in" in response.json()["detail"]


def test_citizen_is_refused(client, citizen, data):
    client.force_login(citizen)
    response = client.get(url("proposals.gpkg"), headers={"accept-language": "en"})
    assert response.status_code == 403
    assert "GIS staff" in response.json()["detail"]


def test_gis_staff_gets_streamed_geojson(client, gis_staff, data):
    client.force_login(gis_staff)
    response = client.get(url("proposals.geojson", project="stadtraum"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"] == (
        'attachment; filename="proposals-stadtraum-epsg4326.geojson"'
    )
    collection = json.loads(body(response))
    assert [f["id"] for f in collection["features"]] == [data["shown"].pk]


def test_geojson_in_25832_names_its_crs(client, gis_staff, data):
    client.force_login(gis_staff)
    response = client.get(url("sites.geojson", srid="25832"))
    assert response.status_code == 200
    collection = json.loads(body(response))
    assert collection["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::25832"
    assert response["Content-Disposition"].endswith('filename="sites-epsg25832.geojson"')


@pytest.mark.parametrize(
    ("name", "content_type", "opener"),
    [
        ("proposals.gpkg", "application/geopackage+sqlite3", "{path}"),
        ("proposals.csv", "text/csv; charset=utf-8", "{path}"),
        ("proposals.shp.zip", "application/zip", "/vsizip/{path}"),
    ],
)
def test_planner_downloads_files_gdal_opens(client, planner_user, data, tmp_path, name,
                                            content_type, opener):  # fmt: skip
    client.force_login(planner_user)
    response = client.get(url(name, srid="25832"))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    filename = name.replace("proposals.", "proposals-epsg25832.")
    assert f'filename="{filename}"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    path = tmp_path / filename
    path.write_bytes(body(response))
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", opener.format(path=path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Feature Count: 2" in info  # published proposals of both projects, nothing pending
    if not name.endswith(".csv"):
        assert 'ID["EPSG",25832]]' in info


def test_bad_parameters_are_400_with_field_messages(client, gis_staff, data):
    client.force_login(gis_staff)
    response = client.get(url("proposals.geojson", srid="3857", project="nope"))
    assert response.status_code == 400
    assert set(response.json()) == {"srid", "project"}
    response = client.get(url("districts.csv", csv_geometry="xy"))
    assert response.status_code == 400
    assert "csv_geometry" in response.json()


def test_unknown_dataset_or_format_is_404(client, gis_staff):
    client.force_login(gis_staff)
    assert client.get("/api/exports/votes.geojson").status_code == 404
    assert client.get("/api/exports/sites.kml").status_code == 404


def test_only_get(client, gis_staff):
    client.force_login(gis_staff)
    assert client.post(url("sites.geojson")).status_code == 405


def test_downloads_are_audited(client, gis_staff, data):
    from audit.models import AuditEntry

    client.force_login(gis_staff)
    for name, query in (
        ("sites.gpkg", {"srid": "25832"}),
        ("proposals.geojson", {"project": "stadtraum"}),
    ):
        # Read to the end without `body()`: its close() would end the test's connection.
        assert b"".join(client.get(url(name, **query)).streaming_content)
    assert client.get(url("proposals.geojson", srid="3857")).status_code == 400
    sites, proposals = AuditEntry.objects.filter(action="export").order_by("pk")
    assert (sites.actor, sites.object_type) == (gis_staff, "export.sites")
    assert sites.after["features"] == {"sites": 1, "site_outlines": 0}
    assert (sites.after["format"], sites.after["srid"]) == ("gpkg", 25832)
    assert proposals.after["project"] == "stadtraum"
    assert proposals.after["features"] == {"proposals": 1}
