"""A database that restarts or goes away: workers reconnect, the API answers 503 JSON meanwhile.

Real gunicorn workers against the real PostGIS: the test database's own backends are ended
with pg_terminate_backend (what a restart does to them), and a closed port stands for a
database that is down.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "mmk-outage-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(port: int | None = None) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgis://{db['USER']}{password}@{db['HOST']}:{port or db['PORT']}/{db['NAME']}"
        f"?application_name={APP_NAME}"
    )


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Language": "de"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def serve(db_url: str, *, workers: int) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_DEBUG": "false",
        # The tests' key: sessions the tests make are valid on this server too.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"{base}/api/health/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def app_server(transactional_db: Any) -> Iterator[str]:
    yield from serve(database_url(), workers=2)


@pytest.fixture
def app_without_database() -> Iterator[str]:
    # A port nothing listens on: the database is down.
    yield from serve(database_url(free_port()), workers=1)


def terminate_app_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s "
            "AND pid <> pg_backend_pid()",
            [APP_NAME],
        )
        (ended,) = cursor.fetchone()
    return int(ended)


def test_no_worker_fails_its_first_request_after_the_database_restarts(app_server):
    url = f"{app_server}/api/v1/projects/"
    # Enough requests that both workers hold a kept connection.
    for _ in range(12):
        assert get(url)[0] == 200
    assert terminate_app_backends() >= 1
    statuses = [get(url)[0] for _ in range(12)]
    assert statuses == [200] * 12


def test_while_the_database_is_down_the_api_answers_503_json(app_without_database):
    for path in ("/api/v1/projects/", "/api/v1/proposals/", "/ogc/collections/proposals/items"):
        status, headers, body = get(f"{app_without_database}{path}")
        assert status == 503, (path, body[:300])
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"].isdigit()
        document = json.loads(body)
        # The REST API's error shape, and OGC API - Features' exception document.
        message = document["description"] if path.startswith("/ogc/") else document["detail"]
        assert "Datenbank" in message
        if path.startswith("/ogc/"):
            assert document["code"] == "ServiceUnavailable"


def test_a_chunked_body_sent_to_gunicorn_is_refused_not_read_as_empty(app_server):
    # A real server: gunicorn hands the app a chunked body without a length. Signed in, so
    # without the guard the view would answer 400 "field required" for an empty body.
    import http.client
    from urllib.parse import urlsplit

    from django.test import Client
    from django.utils.crypto import get_random_string

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    csrf = get_random_string(32)
    address = urlsplit(app_server)
    body = json.dumps({"project": "stadtraum", "title": "Boule"}).encode()
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    conn.putrequest("POST", "/api/v1/proposals/")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Cookie", f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}")
    conn.putheader("X-CSRFToken", csrf)
    conn.endheaders()
    conn.send(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    response = conn.getresponse()
    assert response.status == 411, response.read()
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read())["detail"]
    conn.close()
