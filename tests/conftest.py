"""Shared fixtures: every test runs against the real PostGIS that `make test` starts."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The one headless Chromium of a test module (every browser test asks for this).

    Per module, not per session: while it is open the ORM's async-safety check is relaxed
    (tests/browser.py), and that should not reach the modules that never open a browser.
    Tests open their own contexts (cookies, viewport) and close them.
    """
    with chromium() as running:
        yield running
