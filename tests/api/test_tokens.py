"""Personal access tokens: made and revoked by their owner (audited, stored hashed), accepted
by downloads and the workspace API as Bearer or HTTP Basic, by GDAL too; HEAD, Range and the
download index."""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts import roles
from accounts.models import AccessToken
from accounts.services import access_token_create, access_token_revoke, access_token_user
from audit.models import AuditEntry
from proposals.models import Proposal
from tests.factories import ProjectFactory, ProposalFactory, SiteFactory, UserFactory, planner

EXPORT = "/api/exports/proposals.geojson"


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def gis_staff(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="gis", email="gis@example.org", role=roles.GIS_STAFF)


@pytest.fixture
def data(db):  # type: ignore[no-untyped-def]
    project = ProjectFactory(slug="stadtraum")
    ProposalFactory(project=project, title="Boule-Bahn")
    ProposalFactory(project=project, title="Trinkbrunnen")
    ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING)
    SiteFactory(name="Stiftsplatz")
    return project


def basic(name: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()


# --- the service -----------------------------------------------------------------------------


def test_token_is_stored_hashed_and_audited(gis_staff):  # type: ignore[no-untyped-def]
    token, secret = access_token_create(user=gis_staff, name="  QGIS   Büro ", days=30)
    assert secret.startswith(f"mmk_{token.prefix}_")
    assert len(secret) > 40
    stored = AccessToken.objects.get(pk=token.pk)
    assert stored.name == "QGIS Büro"
    assert secret not in stored.digest and stored.digest != secret
    assert secret.split("_", 2)[2] not in repr(stored.__dict__)
    assert timedelta(days=29) < stored.expires_at - timezone.now() <= timedelta(days=30)
    entry = AuditEntry.objects.get(action="access_token.create")
    assert entry.actor == gis_staff and entry.object_id == str(token.pk)
    assert secret not in json.dumps(entry.after)
    assert access_token_user(secret) == gis_staff
    assert AccessToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize("days", [0, 366, -1])
def test_token_lifetime_is_bounded(gis_staff, days):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        access_token_create(user=gis_staff, name="x", days=days)
    assert not AccessToken.objects.exists()


def test_revoked_expired_forged_tokens_are_no_one(gis_staff, citizen):  # type: ignore[no-untyped-def]
    token, secret = access_token_create(user=gis_staff, name="a", days=30)
    assert access_token_user(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert access_token_user("mmk_" + token.prefix) is None
    assert access_token_user("") is None
    with pytest.raises(ValidationError):
        access_token_revoke(user=citizen, token_id=token.pk)  # not theirs
    assert access_token_user(secret) == gis_staff
    access_token_revoke(user=gis_staff, token_id=token.pk)
    assert access_token_user(secret) is None
    assert AuditEntry.objects.filter(action="access_token.revoke").count() == 1
    other, other_secret = access_token_create(user=gis_staff, name="b", days=1)
    AccessToken.objects.filter(pk=other.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert access_token_user(other_secret) is None
    _deactivated, deactivated_secret = access_token_create(user=gis_staff, name="c", days=1)
    type(gis_staff).objects.filter(pk=gis_staff.pk).update(is_active=False)
    assert access_token_user(deactivated_secret) is None


# --- over HTTP --------------------------------------------------------------------------------


def test_bearer_and_basic_download(client, gis_staff, data):  # type: ignore[no-untyped-def]
    _token, secret = access_token_create(user=gis_staff, name="GDAL", days=30)
    for header in (
        f"Bearer {secret}",
        basic("gis", secret),
        basic("GIS@example.org", secret),
    ):
        response = client.get(EXPORT, HTTP_AUTHORIZATION=header)
        assert response.status_code == 200, response.content
        document = json.loads(b"".join(response.streaming_content))
        assert {f["properties"]["title"] for f in document["features"]} == {
            "Boule-Bahn",
            "Trinkbrunnen",
        }
    # The downloads are audited as the token's owner.
    assert AuditEntry.objects.filter(action="export", actor=gis_staff).count() == 3


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nope",
        "Bearer ",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Digest username=gis",
        "WRONG_USER",
    ],
)
def test_bad_credentials_are_401_with_a_challenge(client, gis_staff, data, header):  # type: ignore[no-untyped-def]
    if header == "WRONG_USER":
        _token, secret = access_token_create(user=gis_staff, name="x", days=1)
        header = basic("someone-else", secret)
    response = client.get(EXPORT, HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic realm=")
    assert "not valid" in response.json()["detail"]
    german = client.get(EXPORT, HTTP_AUTHORIZATION=header)
    assert "nicht gültig" in german.json()["detail"]


def test_anonymous_gets_the_challenge_and_a_citizen_token_is_refused(client, citizen, data):  # type: ignore[no-untyped-def]
    response = client.get(EXPORT)
    assert response.status_code == 401
    assert "Basic" in response["WWW-Authenticate"]
    _token, secret = access_token_create(user=citizen, name="x", days=1)
    response = client.get(EXPORT, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


def test_token_opens_the_workspace_api_not_pages_or_writes(client, data):  # type: ignore[no-untyped-def]
    person = planner(username="plan")
    _token, secret = access_token_create(user=person, name="x", days=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    response = client.get("/api/workspace/proposals/", **auth)
    assert response.status_code == 200
    assert len(response.json()["features"]) == 3  # the pending one too: planners see it
    # Pages and the REST API's writes know no tokens.
    assert client.get("/planung/", **auth).status_code == 302
    proposal = Proposal.objects.first()
    assert proposal is not None
    vote = client.post(
        "/api/v1/votes/", {"proposal": proposal.pk}, content_type="application/json", **auth
    )
    assert vote.status_code in (401, 403)


def test_head_and_range_serve_the_finished_file(client, gis_staff, data):  # type: ignore[no-untyped-def]
    client.force_login(gis_staff)
    full = client.get(EXPORT, HTTP_RANGE="bytes=0-")
    assert full.status_code == 206
    size = int(full["Content-Range"].rsplit("/", 1)[1])
    head = client.head(EXPORT)
    assert head.status_code == 200
    assert int(head["Content-Length"]) == size
    assert head["Accept-Ranges"] == "bytes"
    part = client.get(EXPORT, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{size}"
    assert part.content == full.content[10:20]
    tail = client.get(EXPORT, HTTP_RANGE="bytes=-5")
    assert tail.content == full.content[-5:]
    assert client.get(EXPORT, HTTP_RANGE=f"bytes={size}-").status_code == 416
    assert client.get(EXPORT, HTTP_RANGE="lines=1-2").status_code == 416
    gpkg = client.head("/api/exports/sites.gpkg")
    assert int(gpkg["Content-Length"]) > 0
    # HEAD and later ranges are no downloads: only the GETs from byte 0 were audited.
    assert AuditEntry.objects.filter(action="export").count() == 1


def test_index_lists_every_dataset_format_and_crs(client, gis_staff):  # type: ignore[no-untyped-def]
    assert client.get("/api/exports/").status_code == 401
    client.force_login(gis_staff)
    document = client.get("/api/exports/").json()
    names = {entry["name"] for entry in document["datasets"]}
    assert {"sites", "proposals", "districts"} <= names
    for entry in document["datasets"]:
        formats = {(d["format"], d["crs"]) for d in entry["downloads"]}
        assert formats == {
            (fmt, crs)
            for fmt in ("geojson", "gpkg", "csv", "shp")
            for crs in ("EPSG:4326", "EPSG:25832")
        }
        for download in entry["downloads"]:
            assert download["url"].startswith("http://testserver/api/exports/")
    csv_entry = next(d for d in document["datasets"][0]["downloads"] if d["format"] == "csv")
    assert csv_entry["types_url"].endswith(".csvt")
    assert "csv_style=excel" in csv_entry["excel_url"]


def test_csv_types_and_excel_variant(client, gis_staff, data):  # type: ignore[no-untyped-def]
    client.force_login(gis_staff)
    types = client.get("/api/exports/proposals.csvt")
    assert types.status_code == 200
    line = b"".join(types.streaming_content).decode().strip()
    columns = line.split(",")
    # The geometry (WKT) first, then the properties: id, title, description, ...
    assert columns[0] == "WKT"
    assert columns[1] in ("Integer", "Integer64")
    assert columns[2] == "String"
    assert "DateTime" in columns or "String" in columns
    excel = client.get("/api/exports/proposals.csv", {"csv_style": "excel"})
    content = b"".join(excel.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    assert 'filename="proposals-epsg4326-excel.csv"' in excel["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert "title" in rows[0]
    assert {row[rows[0].index("title")] for row in rows[1:]} == {"Boule-Bahn", "Trinkbrunnen"}
    assert client.get("/api/exports/proposals.csv", {"csv_style": "lotus"}).status_code == 400


# --- GDAL, against the live server ---------------------------------------------------------------


def gdal(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which(args[0])
    if tool is None:
        pytest.fail(f"{args[0]} is not installed: install gdal-bin (make system).")
    return subprocess.run(
        [tool, *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "GDAL_HTTP_TIMEOUT": "60", "CPL_VSIL_CURL_CACHE_SIZE": "0",
             "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", **env},
        check=False,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_gdal_opens_the_export_with_a_token_and_vsicurl(live_server: Any) -> None:
    user = UserFactory(username="gis", role=roles.GIS_STAFF)
    project = ProjectFactory(slug="stadtraum")
    for i in range(25):
        ProposalFactory(project=project, title=f"Idee {i}")
    token, secret = access_token_create(user=user, name="GDAL", days=30)
    source = f"/vsicurl/{live_server.url}{EXPORT}"
    auth = {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"gis:{secret}"}

    opened = gdal("ogrinfo", "-ro", "-so", source, "proposals", env=auth)
    assert opened.returncode == 0, opened.stderr
    assert "Feature Count: 25" in opened.stdout
    assert "comment_count: Integer" in opened.stdout

    # The CSV with its .csvt beside it (GDAL fetches proposals.csvt itself): typed columns.
    typed = gdal(
        "ogrinfo", "-ro", "-so", f"/vsicurl/{live_server.url}/api/exports/proposals.csv",
        "proposals", env=auth,
    )  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    assert "comment_count: Integer" in typed.stdout

    refused = gdal("ogrinfo", "-ro", "-so", source, "proposals", env={
        "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": "gis:mmk_wrong_token"})  # fmt: skip
    assert refused.returncode != 0

    access_token_revoke(user=user, token_id=token.pk)
    revoked = gdal("ogrinfo", "-ro", "-so", source, "proposals", env=auth)
    assert revoked.returncode != 0
    assert "401" in revoked.stderr or "not recognized" in revoked.stderr

    expiring, expiring_secret = access_token_create(user=user, name="kurz", days=1)
    AccessToken.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    expired = gdal("ogrinfo", "-ro", "-so", source, "proposals", env={
        "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"gis:{expiring_secret}"})  # fmt: skip
    assert expired.returncode != 0
