"""The browser tests of alerts use the e2e suite's `visit` fixture (live server, Chromium,
foreign requests counted)."""

from tests.e2e.conftest import visit

__all__ = ["visit"]
