"""The browser fixtures of tests/e2e, for the survey's browser tests."""

from tests.e2e.conftest import browser, visit  # noqa: F401
