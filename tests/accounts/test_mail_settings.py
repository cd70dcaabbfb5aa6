"""The e-mail backend chosen from the environment (config/mail.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection

from config.mail import CONSOLE, FILES, SMTP, email_settings

VARIABLES = [
    "EMAIL_BACKEND_FILE_PATH",
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_console_in_development_smtp_on_localhost_in_production(env: Any) -> None:
    assert email_settings(debug=True).backend == CONSOLE
    production = email_settings(debug=False)
    assert (production.backend, production.host, production.port) == (SMTP, "localhost", 25)


def test_smtp_from_single_variables(env: Any) -> None:
    env.setenv("EMAIL_HOST", "mail.kaiserslautern.de")
    env.setenv("EMAIL_HOST_USER", "mitmachkarte")
    env.setenv("EMAIL_HOST_PASSWORD", "geheim")
    env.setenv("EMAIL_USE_TLS", "true")
    smtp = email_settings(debug=True)
    assert (smtp.backend, smtp.host, smtp.port, smtp.use_tls) == (
        SMTP,
        "mail.kaiserslautern.de",
        587,
        True,
    )
    assert (smtp.user, smtp.password) == ("mitmachkarte", "geheim")
    env.setenv("EMAIL_PORT", "2525")
    assert email_settings(debug=False).port == 2525


def test_smtp_from_a_url(env: Any) -> None:
    env.setenv("EMAIL_URL", "smtp://karte%40stadt.de:p%40ss@mail.example.org:587?tls=true")
    smtp = email_settings(debug=False)
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.use_tls, smtp.use_ssl) == (
        "mail.example.org",
        587,
        "karte@stadt.de",
        "p@ss",
        True,
        False,
    )
    env.setenv("EMAIL_URL", "smtps://mail.example.org")
    assert (email_settings(debug=False).port, email_settings(debug=False).use_ssl) == (465, True)
    env.setenv("EMAIL_URL", "http://mail.example.org")
    with pytest.raises(ImproperlyConfigured):
        email_settings(debug=False)
    env.setenv("EMAIL_URL", "smtps://mail.example.org?tls=true")
    with pytest.raises(ImproperlyConfigured):
        email_settings(debug=False)


def test_files_for_browser_tests(env: Any, tmp_path: Any, settings: Any) -> None:
    env.setenv("EMAIL_BACKEND_FILE_PATH", str(tmp_path))
    chosen = email_settings(debug=False)
    assert (chosen.backend, chosen.file_path) == (FILES, str(tmp_path))
    settings.EMAIL_FILE_PATH = chosen.file_path
    get_connection(chosen.backend).send_messages(
        [mail.EmailMessage("Betreff", "Hallo", "a@example.org", ["b@example.org"])]
    )
    assert "Hallo" in next(tmp_path.iterdir()).read_text()
