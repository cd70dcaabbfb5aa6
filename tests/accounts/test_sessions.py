"""Sessions and the signed-in user, loaded by prepared statements (accounts/sessions.py,
accounts/backends.py): every check Django makes still refuses what it refused — a session after
a password change, an expired, tampered or signed-out session, an inactive account, a forged
hash — and a signed-in API request costs exactly two statements before its own work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.sessions.models import Session
from django.contrib.sessions.serializers import JSONSerializer
from django.core import signing
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.sessions import SessionStore
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.urls("tests.accounts.whoami_urls")

NEW_PASSWORD = "a new horse battery staple"


def whoami(client: Client) -> Any:
    response = client.get("/whoami/")
    assert response.status_code == 200
    return response.json()["user"]


def signed_in_client(user: Any) -> Client:
    """A browser that signed in through the login form (allauth, a real password check)."""
    client = Client()
    response = client.post("/konto/login/", {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_lean_engine_and_backends_are_the_configured_ones(citizen: Any) -> None:
    assert settings.SESSION_ENGINE == "accounts.sessions"
    client = signed_in_client(citizen)
    stored = SessionStore(session_key(client))
    assert stored[SESSION_KEY] == str(citizen.pk)
    assert stored[BACKEND_SESSION_KEY] in settings.AUTHENTICATION_BACKENDS
    assert stored[BACKEND_SESSION_KEY].startswith("accounts.backends.")
    assert whoami(client) == citizen.pk


def test_a_signed_in_api_request_reads_the_session_and_the_user_once_each(
    citizen: Any, django_assert_num_queries: Any
) -> None:
    client = signed_in_client(citizen)
    with django_assert_num_queries(2) as captured:
        assert whoami(client) == citizen.pk
    sql = [query["sql"] for query in captured.captured_queries]
    assert '"django_session"' in sql[0] and '"auth_user"' in sql[1]
    anonymous = Client()
    with django_assert_num_queries(0):  # no cookie, no session read
        assert whoami(anonymous) is None


def test_login_rotates_the_session_key(citizen: Any) -> None:
    client = Client()
    client.get("/konto/login/")  # an anonymous session with the CSRF cookie
    store = SessionStore()
    store["before"] = True
    store.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    assert (
        client.post("/konto/login/", {"login": "citizen", "password": PASSWORD}).status_code == 302
    )
    assert session_key(client) != store.session_key
    assert not Session.objects.filter(session_key=store.session_key).exists()


def test_a_password_change_signs_out_the_other_sessions(citizen: Any) -> None:
    laptop, phone = signed_in_client(citizen), signed_in_client(citizen)
    response = laptop.post(
        "/konto/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert whoami(laptop) == citizen.pk  # the session that changed it is updated
    assert whoami(phone) is None  # its hash was of the old password
    # Flushed, not just refused once: the stale session row is gone.
    assert not Session.objects.filter(session_key=session_key(phone)).exists()


def test_a_session_whose_hash_does_not_match_is_anonymous(citizen: Any) -> None:
    client = signed_in_client(citizen)
    stored = SessionStore(session_key(client))
    stored[HASH_SESSION_KEY] = "0" * 64  # signed correctly, but not the password's hash
    stored.save()
    assert whoami(client) is None


def test_a_session_without_a_hash_is_anonymous(citizen: Any) -> None:
    client = signed_in_client(citizen)
    stored = SessionStore(session_key(client))
    del stored[HASH_SESSION_KEY]
    stored.save()
    assert whoami(client) is None


def test_an_expired_session_is_anonymous(citizen: Any) -> None:
    client = signed_in_client(citizen)
    key = session_key(client)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert whoami(client) is None


def test_a_tampered_session_is_anonymous(citizen: Any, other_citizen: Any) -> None:
    client = signed_in_client(citizen)
    key = session_key(client)
    data = SessionStore(key).load()
    # The other person's id under a signature made with another key: the signature check refuses.
    forged = dict(data, **{SESSION_KEY: str(other_citizen.pk)})
    forged[HASH_SESSION_KEY] = other_citizen.get_session_auth_hash()
    bad = signing.dumps(
        forged,
        key="not the secret key",
        salt="django.contrib.sessions.SessionStore",
        serializer=JSONSerializer,
        compress=True,
    )
    Session.objects.filter(session_key=key).update(session_data=bad)
    assert whoami(client) is None
    # One changed character of a genuine row is refused as well.
    genuine = SessionStore().encode(data)
    flipped = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    Session.objects.filter(session_key=key).update(session_data=flipped)
    assert whoami(client) is None


def test_an_unknown_session_key_is_anonymous_and_never_adopted(citizen: Any) -> None:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "chosen-by-an-attacker-0123456789"
    assert whoami(client) is None
    store = SessionStore("chosen-by-an-attacker-0123456789")
    assert store.load() == {}
    assert store.session_key is None  # a save would make a new key


def user_of(client: Client) -> Any:
    """Who Django's own `get_user` (AuthenticationMiddleware's, pages' too) finds in the session."""
    request = RequestFactory().get("/")
    request.session = SessionStore(session_key(client))
    return get_user(request)


def test_an_inactive_account_is_anonymous(citizen: Any) -> None:
    client = signed_in_client(citizen)
    assert user_of(client) == citizen
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])
    # The backend refuses it (not only DRF's session authentication, which checks it again).
    assert user_of(client).is_anonymous
    assert whoami(client) is None


def test_a_deleted_account_is_anonymous(citizen: Any) -> None:
    client = signed_in_client(citizen)
    citizen.delete()
    assert whoami(client) is None


def test_a_session_of_a_backend_not_configured_is_anonymous(citizen: Any) -> None:
    client = signed_in_client(citizen)
    stored = SessionStore(session_key(client))
    stored[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    stored.save()
    assert whoami(client) is None


def test_logout_ends_the_session_for_every_copy_of_the_cookie(citizen: Any) -> None:
    client = signed_in_client(citizen)
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = session_key(client)
    assert whoami(copy) == citizen.pk
    assert client.post("/konto/logout/").status_code == 302
    assert whoami(copy) is None
