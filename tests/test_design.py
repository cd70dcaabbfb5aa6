"""The visual design's rules that a reader of static/css and templates can check without a
browser: one type scale and one spacing scale (custom properties in site.css's :root), used by
every rule; icons from the one self-hosted sprite, hidden from screen readers."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
OWN_CSS = sorted((BASE / "static" / "css").glob("*.css"))
TEMPLATES = sorted((BASE / "templates").rglob("*.html"))
SCALED = re.compile(
    r"(?<![-\w])(font-size|margin(?:-[a-z]+)?|padding(?:-[a-z]+)?|gap|row-gap|column-gap)"
    r"\s*:\s*([^;}]+)"
)
# What a scaled property may say: a token, zero, auto, or a token inside calc()/negation.
ALLOWED = re.compile(r"^(?:var\(--(?:text|space)-[a-z0-9]+\)|0|auto|inherit|1px|-?calc\(.*\))$")
ICONS_NEEDED = {"vote", "comment", "follow", "map", "list", "download", "location", "photo"}


def _rules(css: str) -> str:
    """The stylesheet without comments and without the :root block that defines the scales."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r":root\s*\{[^}]*\}", "", css)


def test_font_sizes_and_spacing_come_from_the_scales() -> None:
    stray: list[str] = []
    for path in OWN_CSS:
        for prop, value in SCALED.findall(_rules(path.read_text(encoding="utf-8"))):
            for part in re.split(r"\s+(?![^(]*\))", value.strip()):
                if not ALLOWED.match(part):
                    stray.append(f"{path.name}: {prop}: {value.strip()}")
                    break
    assert stray == [], "\n".join(stray)


def test_the_scales_are_defined_once_in_site_css() -> None:
    root = re.search(r":root\s*\{([^}]*)\}", (BASE / "static/css/site.css").read_text())
    assert root is not None
    defined = set(re.findall(r"--((?:text|space)-[a-z0-9]+)\s*:", root.group(1)))
    used: set[str] = set()
    for path in OWN_CSS:
        text = _rules(path.read_text(encoding="utf-8"))
        used |= set(re.findall(r"var\(--((?:text|space)-[a-z0-9]+)\)", text))
        # No other file redefines a scale step.
        if path.name != "site.css":
            assert not re.search(r"--(?:text|space)-[a-z0-9]+\s*:", text), path.name
    assert used <= defined, used - defined
    assert {"text-sm", "text-base", "text-lg", "space-xs", "space-m", "space-xl"} <= defined


def test_icons_are_one_inline_sprite_hidden_from_screen_readers() -> None:
    sprite = (BASE / "templates/_icons.html").read_text(encoding="utf-8")
    symbols = set(re.findall(r'<symbol id="icon-([a-z-]+)"', sprite))
    assert symbols >= ICONS_NEEDED, ICONS_NEEDED - symbols
    # Nothing fetched: no external reference, no icon font anywhere in our CSS.
    assert "http" not in sprite.replace("http://www.w3.org/2000/svg", "")
    for path in OWN_CSS:
        assert "@font-face" not in path.read_text(encoding="utf-8"), path.name
    uses: list[str] = []
    for path in TEMPLATES:
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        for svg in re.findall(r"<svg\b[^>]*>", text):
            if 'class="icon' in svg and 'aria-hidden="true"' not in svg:
                uses.append(f"{path.name}: {svg}")
        for name in re.findall(r'include "_icon.html" with name="([a-z-]+)"', text):
            if name not in symbols:
                uses.append(f"{path.name}: no symbol {name}")
    assert uses == [], uses
