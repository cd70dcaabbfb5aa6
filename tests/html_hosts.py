"""Which hosts a piece of HTML/JS/CSS refers to: every src, href, action, url(...) and //host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

_URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "formaction", "xlink:href"}
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)", re.IGNORECASE)
# Scheme-relative or absolute URLs inside scripts and text (JSON may escape the slashes).
_BARE_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::\d+)?", re.I)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            # Namespace names (xmlns="http://www.w3.org/2000/svg") are identifiers, not requests.
            if value is None or name == "xmlns" or name.startswith("xmlns:"):
                continue
            if name in _URL_ATTRIBUTES:
                parts = value.split(",") if name == "srcset" else [value]
                self.urls.extend(p.strip().split(" ")[0] for p in parts)
            elif name == "style":
                self.urls.extend(_CSS_URL.findall(value))
            else:
                self.texts.append(value)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def referenced_hosts(html: str) -> set[str]:
    """Every host named by the document: in attributes, inline CSS and anywhere in the text."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    hosts = {urlsplit(url).hostname for url in collector.urls}
    for text in collector.texts:
        text = text.replace("\\/", "/")
        hosts.update(m.lower() for m in _BARE_URL.findall(text))
        hosts.update(urlsplit(u).hostname for u in _CSS_URL.findall(text))
    return {h for h in hosts if h}
