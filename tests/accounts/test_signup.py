"""Sign-up with a confirmed address, login by e-mail or username, password reset, e-mail change."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import translation

from accounts import roles
from accounts.models import Profile
from tests.accounts.conftest import PASSWORD, link_in_mail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Kaiserslautern-am-Lauterstrand-2025"


def signup(client: Any, **fields: Any) -> Any:
    data = {
        "email": "lena@example.org",
        "username": "lena",
        "display_name": "Lena vom Betzenberg",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **fields,
    }
    return client.post("/konto/signup/", data)


def signed_in(client: Any) -> bool:
    return "_auth_user_id" in client.session


def test_signup_sends_a_confirmation_and_login_works_once_confirmed(client: Any) -> None:
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/konto/confirm-email/"
    user = get_user_model().objects.get(username="lena")
    assert user.groups.filter(name=roles.CITIZEN).exists()
    assert Profile.objects.get(user=user).display_name == "Lena vom Betzenberg"
    assert not EmailAddress.objects.get(user=user).verified
    assert not signed_in(client)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lena@example.org"]
    assert mail.outbox[0].subject.startswith("[Mitmachkarte]")
    confirm = link_in_mail()

    # Before confirming: no session; allauth sends the person back to "confirm first".
    client.post("/konto/logout/")
    refused = client.post("/konto/login/", {"login": "lena", "password": NEW_PASSWORD})
    assert refused["Location"] == "/konto/confirm-email/"
    assert not signed_in(client)

    page = client.get(confirm)
    assert page.status_code == 200
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    for login in ("lena@example.org", "lena", "LENA@example.org"):
        client.post("/konto/logout/")
        response = client.post("/konto/login/", {"login": login, "password": NEW_PASSWORD})
        assert response.status_code == 302, login
        assert response["Location"] == "/"
        assert signed_in(client)


def test_signup_refusals_are_per_field(client: Any) -> None:
    UserFactory(username="taken")
    Profile.objects.create(user=UserFactory(), display_name="Lena vom Betzenberg")
    response = signup(
        client,
        username="a@b",
        display_name="lena VOM betzenberg",
        password2="something else",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"username", "display_name", "password2"}
    html = response.content.decode()
    # Errors are tied to their fields for screen readers.
    assert 'aria-describedby="id_display_name_helptext id_display_name_error"' in html
    assert 'id="id_display_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert not get_user_model().objects.filter(email="lena@example.org").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("name", ["a", "x@y.de", "Stadtverwaltung", "<b>Lena</b>"])
def test_display_names_that_are_refused(client: Any, name: str) -> None:
    response = signup(client, display_name=name)
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors


def test_signup_without_display_name_shows_the_neutral_name(client: Any) -> None:
    signup(client, display_name="")
    user = get_user_model().objects.get(username="lena")
    with translation.override("de"):
        from accounts.selectors import display_name

        shown = display_name(user)
    # A random code, not the account id: the name does not say which account it is.
    assert shown == f"Teilnehmer:in #{user.profile.pseudonym}"
    assert not shown.endswith(f"#{user.pk}")


def test_logout_is_a_post(client: Any, citizen: Any) -> None:
    client.force_login(citizen)
    page = client.get("/konto/logout/")
    assert page.status_code == 200  # a confirmation page, not a logout
    assert signed_in(client)
    client.post("/konto/logout/")
    assert not signed_in(client)


def test_password_reset_by_mail(client: Any, citizen: Any) -> None:
    response = client.post("/konto/password/reset/", {"email": citizen.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [citizen.email]
    link = link_in_mail()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert not citizen.check_password(PASSWORD)


def test_unknown_address_for_reset_reveals_nothing(client: Any) -> None:
    response = client.post("/konto/password/reset/", {"email": "niemand@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/konto/password/reset/done/"


def test_email_change_needs_confirmation_of_the_new_address(client: Any, citizen: Any) -> None:
    client.force_login(citizen)
    page = client.get("/konto/email/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_email">' in html and 'autocomplete="email"' in html
    taken = client.post("/konto/email/", {"email": "kein-at-zeichen", "action_add": ""})
    assert 'aria-describedby="id_email_error"' in taken.content.decode()
    assert 'aria-invalid="true"' in taken.content.decode()
    assert client.get("/konto/password/change/").status_code == 200
    response = client.post("/konto/email/", {"email": "neu@example.org", "action_add": ""})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["neu@example.org"]
    # The confirmed old address stays primary (and the account may write) until then.
    assert EmailAddress.objects.get(user=citizen, primary=True).email == citizen.email
    client.post(link_in_mail())
    citizen.refresh_from_db()
    assert citizen.email == "neu@example.org"
    assert EmailAddress.objects.get(user=citizen, primary=True, verified=True).email == (
        "neu@example.org"
    )


def test_account_pages_are_german_by_default_and_english_under_en(client: Any) -> None:
    german = client.get("/konto/login/")
    assert german.status_code == 200
    html = german.content.decode()
    assert '<html lang="de">' in html
    assert "Anmelden" in html and "Passwort" in html
    assert 'autocomplete="current-password"' in html
    assert '<label for="id_password">' in html

    english = client.get("/en/konto/login/")
    assert english.status_code == 200
    html = english.content.decode()
    assert '<html lang="en">' in html
    assert "Sign In" in html and "Password" in html

    signup_page = client.get("/konto/signup/").content.decode()
    assert "Angezeigter Name" in signup_page
    assert 'autocomplete="new-password"' in signup_page
    assert "Display name" in client.get("/en/konto/signup/").content.decode()


def test_login_url_is_allauths(client: Any) -> None:
    response = client.get("/konto/profil/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/?next=")
