"""Reads about accounts: public names, whether an address is confirmed, a person's own data."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts import personal_data
from accounts.models import PSEUDONYM_ALPHABET, PSEUDONYM_LENGTH, AccessToken
from accounts.types import Person


def display_name(user: User | None) -> str:
    """The name pages and the API show for a person: the chosen display name, else the neutral
    "Participant #<pseudonym>". Never the e-mail address, the login name or the account id.

    Lists should fetch profiles along (`select_related("author__profile")`) to stay at one query.
    """
    if user is None:
        return _("Deleted account")
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        profile = None
    if profile is not None and profile.display_name:
        return str(profile.display_name)
    code = profile.pseudonym if profile is not None else _pseudonym_without_profile(user)
    return _("Participant #%(pseudonym)s") % {"pseudonym": code}


def _pseudonym_without_profile(user: User) -> str:
    """Accounts made outside the sign-up (the admin, `createsuperuser`) have no profile until
    they save one: a keyed hash of the id stands in, as opaque as the stored random code."""
    digest = salted_hmac("accounts.pseudonym", str(user.pk)).digest()
    return "".join(
        PSEUDONYM_ALPHABET[b % len(PSEUDONYM_ALPHABET)] for b in digest[:PSEUDONYM_LENGTH]
    )


# Whether account %s has a confirmed primary address, as an SQL expression: `email_confirmed`
# asks it, and the vote path asks it along with its locks in one round trip
# (`proposals.services.vote_cast`), then hands the answer to `remember_email_confirmed`.
EMAIL_CONFIRMED_SQL = (
    f"EXISTS (SELECT 1 FROM {EmailAddress._meta.db_table}"  # noqa: S608 -- our table's name
    ' WHERE user_id = %s AND "primary" AND verified)'
)


def email_confirmed(user: Person) -> bool:
    """Whether the account's primary e-mail address is confirmed (allauth's EmailAddress).

    Superusers count as confirmed: `createsuperuser` makes them without an address record, and
    they can do everything anyway. The answer is kept on the user object for the request,
    because a page checks several rules.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_mmk_email_confirmed", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {EMAIL_CONFIRMED_SQL}", [user.pk])
            (cached,) = cursor.fetchone()
        remember_email_confirmed(user, cached)
    return bool(cached)


def remember_email_confirmed(user: Person, confirmed: bool) -> None:
    """Keep an answer of EMAIL_CONFIRMED_SQL that a caller fetched along with other things."""
    setattr(user, "_mmk_email_confirmed", bool(confirmed))  # noqa: B010 -- a cache on the object


def account_data(user: User) -> dict[str, Any]:
    """Everything the service keeps about a person, as JSON-ready data (the export): the
    account's own sections, then each app's (accounts.personal_data)."""
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        profile = None
    sections: dict[str, Any] = {
        "account": {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "profile": {
            "display_name": profile.display_name if profile else "",
            "shown_as": display_name(user),
        },
    }
    for part in personal_data.parts():
        personal_data.merge_sections(sections, part, user)
    return sections


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def access_tokens_of(user: Any) -> list[AccessToken]:
    """The person's access tokens, newest first, with whether each still works."""
    return list(AccessToken.objects.filter(user=user).order_by("-created_at"))
