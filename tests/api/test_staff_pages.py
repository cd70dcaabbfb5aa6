"""GIS staff's pages: the access tokens (create, shown once, revoke) and the data page."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from accounts import roles
from accounts.models import AccessToken
from accounts.services import access_token_user
from audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/konto/zugangsschluessel/"
DATA = "/gis/daten/"


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def gis_staff(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="gis", role=roles.GIS_STAFF)


def test_create_shows_the_token_once_and_revoke(client, gis_staff):  # type: ignore[no-untyped-def]
    client.force_login(gis_staff)
    response = client.post(TOKENS, {"action": "create", "name": "QGIS Büro", "days": "30"})
    assert response.status_code == 200
    html = response.content.decode()
    [secret] = re.findall(r'<code id="new-token">([^<]+)</code>', html)
    assert access_token_user(secret) == gis_staff
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    listing = client.get(TOKENS).content.decode()
    assert "QGIS Büro" in listing
    assert secret not in listing  # never shown again
    token = AccessToken.objects.get()
    response = client.post(TOKENS, {"action": "revoke", "token": str(token.pk)})
    assert response.status_code == 200
    assert access_token_user(secret) is None
    assert "widerrufen" in response.content.decode()  # German, the default
    assert AuditEntry.objects.filter(action__startswith="access_token.").count() == 2


def test_bad_token_form_is_400_and_stores_nothing(client, gis_staff):  # type: ignore[no-untyped-def]
    client.force_login(gis_staff)
    response = client.post(TOKENS, {"action": "create", "name": "", "days": "999"})
    assert response.status_code == 400
    assert not AccessToken.objects.exists()
    html = response.content.decode()
    assert 'aria-invalid="true"' in html


def test_someone_elses_token_cannot_be_revoked(client, gis_staff):  # type: ignore[no-untyped-def]
    other = UserFactory(username="other", role=roles.GIS_STAFF)
    client.force_login(other)
    client.post(TOKENS, {"action": "create", "name": "x", "days": "3"})
    token = AccessToken.objects.get()
    client.force_login(gis_staff)
    response = client.post(TOKENS, {"action": "revoke", "token": str(token.pk)})
    assert response.status_code == 400
    assert AccessToken.objects.get().revoked_at is None


def test_pages_are_for_gis_staff(client, citizen):  # type: ignore[no-untyped-def]
    assert client.get(TOKENS).status_code == 302
    assert client.get(DATA).status_code == 302
    client.force_login(citizen)
    assert client.get(TOKENS).status_code == 403
    assert client.get(DATA).status_code == 403
    assert client.post(TOKENS, {"action": "create", "name": "x", "days": "3"}).status_code == 403
    assert not AccessToken.objects.exists()


def test_data_page_lists_every_download_and_the_ogc_address(client, gis_staff):  # type: ignore[no-untyped-def]
    client.force_login(gis_staff)
    html = client.get(DATA).content.decode()
    assert "http://testserver/ogc/" in html
    for dataset in ("sites", "proposals", "districts"):
        for extension in ("geojson", "gpkg", "csv", "shp.zip"):
            assert f'http://testserver/api/exports/{dataset}.{extension}"' in html
            assert f"http://testserver/api/exports/{dataset}.{extension}?srid=25832" in html
    assert "proposals.csvt" in html
    assert "csv_style=excel" in html
    assert "GDAL_HTTP_USERPWD=gis:TOKEN" in html
    assert 'href="/konto/zugangsschluessel/"' in html
    assert "http://testserver/api/v1/tiles/districts.json" in html
    assert "http://testserver/api/catalog/" in html
    # The navigation leads there.
    assert 'href="/gis/daten/"' in client.get("/").content.decode()
