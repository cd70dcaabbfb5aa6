"""The data export and account deletion gather each app's part through a registry, so an app
that keeps personal data adds it without accounts knowing the app."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError

from accounts import personal_data
from accounts.selectors import account_data
from accounts.services import account_delete
from proposals.models import Vote
from proposals.services import vote_cast
from tests.accounts.conftest import PASSWORD
from tests.factories import ProjectFactory, ProposalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch: Any) -> None:
    """A copy of the registered parts for the test to add to; the real one stays as it was."""
    monkeypatch.setattr(personal_data, "_parts", dict(personal_data._parts))


def test_participation_registers_its_part() -> None:
    assert [part.app_label for part in personal_data.parts()] == ["proposals", "surveys"]


def test_a_registered_part_adds_its_sections_and_erases_first(registry: None, citizen: Any) -> None:
    seen_at_erase: list[bool] = []

    def export(user: Any) -> dict[str, Any]:
        return {"answers": [f"from {user.get_username()}"]}

    def erase(user: Any) -> None:
        # Runs before the account goes, so it can still find the person's rows.
        seen_at_erase.append(get_user_model().objects.filter(pk=user.pk).exists())

    personal_data.register("surveys", export=export, erase=erase)
    data = account_data(citizen)
    assert data["answers"] == ["from citizen"]
    assert {"account", "profile", "proposals", "votes"} <= data.keys()

    account_delete(user=citizen, password=PASSWORD)
    assert seen_at_erase == [True]
    assert not get_user_model().objects.filter(pk=citizen.pk).exists()


def test_a_part_that_refuses_keeps_the_account_whole(registry: None, citizen: Any) -> None:
    vote_cast(user=citizen, proposal=ProposalFactory(project=ProjectFactory(voting=True)))

    def erase(user: Any) -> None:
        raise ValidationError({"answers": "Still in a running survey."})

    personal_data.register("surveys", export=lambda user: {}, erase=erase)
    with pytest.raises(ValidationError):
        account_delete(user=citizen, password=PASSWORD)
    # Participation erased its votes before the refusal: the transaction takes that back.
    assert Vote.objects.filter(user=citizen).count() == 1
    assert get_user_model().objects.filter(pk=citizen.pk).exists()


def test_two_parts_claiming_one_section_are_a_wiring_error(registry: None, citizen: Any) -> None:
    personal_data.register("surveys", export=lambda user: {"votes": []})
    with pytest.raises(ImproperlyConfigured, match="votes"):
        account_data(citizen)
