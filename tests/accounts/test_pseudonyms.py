"""Neutral names: a random, stable pseudonym per account, never the account id."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.utils import translation

from accounts.models import PSEUDONYM_ALPHABET, PSEUDONYM_LENGTH, Profile
from accounts.selectors import display_name
from accounts.services import account_setup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0005_profile_pseudonym")


def code(name: str) -> str:
    prefix = "Teilnehmer:in #"
    assert name.startswith(prefix)
    return name.removeprefix(prefix)


def test_a_new_account_shows_a_random_code_that_stays() -> None:
    users = [UserFactory() for _ in range(3)]
    for user in users:
        account_setup(user=user)
    with translation.override("de"):
        names = [display_name(u) for u in users]
        again = [display_name(type(u).objects.get(pk=u.pk)) for u in users]
    codes = [code(n) for n in names]
    assert names == again  # stable
    assert len(set(codes)) == 3
    for user, c in zip(users, codes, strict=True):
        assert len(c) == PSEUDONYM_LENGTH and set(c) <= set(PSEUDONYM_ALPHABET)
        assert c == user.profile.pseudonym and c != str(user.pk)


def test_the_data_migration_gives_every_existing_account_a_pseudonym() -> None:
    without = [UserFactory() for _ in range(3)]  # as before profiles were made at sign-up
    assert not Profile.objects.filter(user__in=without).exists()

    migration.assign_pseudonyms(apps, None)

    codes = list(Profile.objects.filter(user__in=without).values_list("pseudonym", flat=True))
    assert len(codes) == 3 and len(set(codes)) == 3
    with translation.override("de"):
        assert {code(display_name(type(u).objects.get(pk=u.pk))) for u in without} == set(codes)


def test_accounts_without_a_profile_still_hide_their_id(settings: Any) -> None:
    user = UserFactory()
    with translation.override("de"):
        shown = code(display_name(user))
    assert len(shown) == PSEUDONYM_LENGTH and set(shown) <= set(PSEUDONYM_ALPHABET)
    assert shown == code(display_name(type(user).objects.get(pk=user.pk)))
