"""Production settings: what must be set is named at start; with the HTTPS settings on,
`manage.py check --deploy` has nothing to report."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.deploy.conftest import PY, ROOT, production_env

HTTPS = {
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_HSTS_PRELOAD": "true",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "TRUSTED_PROXY_COUNT": "1",
    "SITE_URL": "https://mitmachen.example.org",
}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_https_settings(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, **HTTPS), "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Without them, the same check names what is missing: the test above can fail.
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_missing_production_settings_are_named_at_start(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "SITE_URL"):
        del env[name]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("DJANGO_SECRET_KEY:", "DJANGO_ALLOWED_HOSTS:", "SITE_URL:"):
        assert name in result.stderr, result.stderr
    # Development needs none of them.
    assert manage({**env, "DJANGO_DEBUG": "true"}, "check").returncode == 0
