"""The German pages and e-mails address people as "Sie", allauth's included; e-mails name the
platform, not the host."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.factories import ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db

DU = re.compile(r"\b(du|dein\w*|dich|dir)\b", re.IGNORECASE)
PASSWORD = "Kaiserslautern-am-Lauterstrand-2025"


def words(html: str) -> str:
    """The page's text as people read it: no scripts, styles or tags (`dir="ltr"` is no "dir")."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def du_in(text: str) -> list[str]:
    return sorted({m.group(0) for m in DU.finditer(text)})


def test_words_finds_the_familiar_forms() -> None:
    assert du_in(words("<p>Du hast bereits ein Konto? Melde dich an, dein Passwort</p>")) == [
        "Du",
        "dein",
        "dich",
    ]
    assert du_in(words('<p dir="ltr">Sie haben Ihr Konto; Dirk und Dudweiler</p>')) == []


def test_german_pages_say_sie(client: Client) -> None:
    project = ProjectFactory()
    proposal = ProposalFactory(project=project)
    anonymous = [
        "/",
        project.get_absolute_url(),
        proposal.get_absolute_url(),
        "/konto/login/",
        "/konto/signup/",
        "/konto/password/reset/",
        "/konto/password/reset/done/",
        "/konto/confirm-email/",
        "/konto/confirm-email/not-a-key/",
        "/konto/password/reset/key/1-x/",
    ]
    found: dict[str, list[str]] = {}
    for path in anonymous:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code in (200, 302), path
        if response.status_code == 200:
            found[path] = du_in(words(response.content.decode()))
    # A refused login and sign-up, with allauth's messages.
    response = client.post("/konto/login/", {"login": "niemand", "password": "x"})
    found["login refused"] = du_in(words(response.content.decode()))
    assert "Benutzername oder E-Mail-Adresse" in response.content.decode()
    assert "Anmeldung</label>" not in response.content.decode()
    response = client.post(
        "/konto/signup/", {"email": "x", "username": "", "password1": "a", "password2": "b"}
    )
    found["signup refused"] = du_in(words(response.content.decode()))

    user = UserFactory(username="sie")
    client.force_login(user)
    for path in [
        "/konto/logout/",
        "/konto/email/",
        "/konto/password/change/",
        "/konto/profil/",
        "/konto/loeschen/",
        "/konto/login/",
        project.get_absolute_url(),
    ]:
        response = client.get(path)
        assert response.status_code in (200, 302), path
        if response.status_code == 200:
            found["signed in " + path] = du_in(words(response.content.decode()))
    assert found == {key: [] for key in found}


def test_german_emails_say_sie_and_name_the_platform(client: Client, settings: Any) -> None:
    settings.PLATFORM_NAME = "Mitmachkarte"
    UserFactory(username="vorhanden", email="vorhanden@example.org")
    client.post(
        "/konto/signup/",
        {
            "email": "lena@example.org",
            "username": "lena",
            "display_name": "Lena vom Betzenberg",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    client.post("/konto/password/reset/", {"email": "vorhanden@example.org"})
    client.post("/konto/password/reset/", {"email": "unbekannt@example.org"})
    client.post(
        "/konto/signup/",
        {
            "email": "vorhanden@example.org",
            "username": "zweiter",
            "display_name": "Zweiter Versuch",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert len(mail.outbox) >= 3
    for message in mail.outbox:
        text = message.subject + "\n" + message.body
        assert du_in(text) == [], text
        assert "Mitmachkarte" in message.body, text
        assert "Hallo von" not in text and "testserver!" not in text, text
