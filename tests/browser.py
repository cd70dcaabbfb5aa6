"""How every browser test starts Chromium: Debian's binary, headless, no background traffic.

The background-networking flags matter here: without them Chromium calls Google's services at
start-up, which this machine's closed network refuses (and a citizen's privacy would too).
"""

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
