"""How every browser test gets Chromium: the `browser` fixture (tests/conftest.py) uses this.

Debian's binary, headless, no background traffic. The background-networking flags matter here:
without them Chromium calls Google's services at start-up, which this machine's closed network
refuses (and a citizen's privacy would too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium; it fails the test when it cannot start (no skip).

    Playwright's sync API runs an event loop in this thread, and Django then refuses ORM calls
    (they could block a loop). Here the loop only drives the browser, so the ORM may run while
    the browser is open; the setting is restored afterwards.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
