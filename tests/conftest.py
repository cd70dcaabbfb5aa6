"""Shared fixtures: every test runs against the real PostGIS that `make test` starts."""

import pytest

from tests.factories import UserFactory, planner


@pytest.fixture
def citizen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="citizen")


@pytest.fixture
def other_citizen(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="other")


@pytest.fixture
def planner_user(db):  # type: ignore[no-untyped-def]
    return planner(username="planner")
