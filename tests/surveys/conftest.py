"""The browser fixtures of tests/e2e, for the survey's browser tests."""

from tests.e2e.conftest import visit  # noqa: F401 -- the browser fixture is tests/conftest.py's
