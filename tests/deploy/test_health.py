"""Liveness answers while the process runs; readiness only while the database and the job
queue answer too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import Client, free_port, gunicorn, production_env


@pytest.mark.django_db
def test_ready_reports_the_database_and_the_queue(client: Any) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["queue"] == "ok"
    assert response.json()["checks"]["jobs"] == {"waiting": 0, "failed": 0, "workers": 0}
    assert "no-cache" in response["Cache-Control"]


def test_without_a_database_live_but_not_ready(static_root: Path, tmp_path: Path) -> None:
    # Nothing listens on this port: the database is "down".
    env = production_env(
        static_root, DATABASE_URL=f"postgis://mitmachkarte@127.0.0.1:{free_port()}/mitmachkarte"
    )
    with gunicorn(env, tmp_path) as port:
        client = Client(f"http://127.0.0.1:{port}")
        assert client.get("/health/live")[0].status == 200
        response, body = client.get("/health/ready")
    assert response.status == 503
    assert json.loads(body) == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "queue": "unavailable"},
    }
