"""allauth's limits on sign-up and login: 429 (or a message on the form), counted in the
database cache that every app server process shares."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import caches
from django.db import connection

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def clean_cache() -> Any:
    """Rows a committing test leaves in the cache table (no model: a flush keeps them)."""
    caches["default"].clear()
    yield
    caches["default"].clear()


# A second app server process: the login form posted from a separate Python process.
SECOND_WORKER = """
import django
django.setup()
from django.test import Client
response = Client().post("/konto/login/", {"login": "citizen", "password": "falsch"})
print(response.status_code)
"""


def test_a_second_worker_sees_the_first_ones_login_count(
    transactional_db: Any, client: Any, citizen: Any, clean_cache: Any, settings: Any
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    statuses = [
        client.post("/konto/login/", {"login": "citizen", "password": "falsch"}).status_code
        for _ in range(2)
    ]
    assert statuses == [200, 200]
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgis://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "RATE_LIMIT_LOGIN": "2/m/ip",
    }
    second = subprocess.run(
        [sys.executable, "-c", SECOND_WORKER],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert second.stdout.split()[-1] == "429", second.stderr


def test_signups_beyond_the_limit_get_429(client: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    statuses = [
        client.post(
            "/konto/signup/",
            {
                "email": f"p{i}@example.org",
                "username": f"p{i}",
                "password1": "Lauterstrand-2025",
                "password2": "Lauterstrand-2025",
            },
        ).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_logins_are_limited(client: Any, citizen: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    statuses = [
        client.post("/konto/login/", {"login": "citizen", "password": "falsch"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert (
        "Zu viele Anfragen"
        in client.post("/konto/login/", {"login": "citizen", "password": "falsch"}).content.decode()
    )


def test_failed_logins_of_one_account_are_limited(client: Any, citizen: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "2/m/key"}
    for _ in range(2):
        client.post("/konto/login/", {"login": "citizen", "password": "falsch"})
    # Now even the right password is refused for a while, with a message on the form.
    response = client.post("/konto/login/", {"login": "citizen", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Zu viele gescheiterte Anmeldeversuche" in response.content.decode()
