"""The folium map factory: Leaflet maps on self-hosted assets, rendered into our own pages.

The mechanism only (assets, the configured tile layer, rendering into a page's parts); the maps
that know projects and proposals are in proposals/maps.py and proposals/workspace/maps.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import folium
from branca.element import Figure
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from folium.template import Template
from folium.utilities import JsCode

# Resolved when the page renders, not at import: the storage may add hashes to file names.
static_url = lazy(static, str)

# Labels are user data: Leaflet gets them as a text node, never as HTML.
TEXT_TOOLTIP = JsCode(
    """
    function (feature, layer) {
        var label = document.createElement("span");
        label.textContent = feature.properties.label;
        layer.bindTooltip(label);
    }
    """
)


class Map(folium.Map):
    """folium's Map with our own asset lists and a page-friendly template.

    The lists belong to this class: folium's `add_js_link` mutates class-level lists, so sharing
    folium's would change every map in the process. Bootstrap, Font Awesome and awesome-markers
    are left out (we use none of their icons); jQuery stays because folium's popups call `$()`.
    folium's own header would also set `html, body {height: 100%}` and forbid zooming the page
    (`user-scalable=no`, an accessibility failure), so the template is ours too.
    """

    default_js = [
        ("leaflet", static_url("vendor/leaflet/leaflet.js")),
        ("jquery", static_url("vendor/jquery/jquery.min.js")),
        ("mitmachkarte_common", static_url("js/mitmachkarte-common.js")),
    ]
    default_css = [("leaflet_css", static_url("vendor/leaflet/leaflet.css"))]

    _template = Template(
        """
        {% macro header(this, kwargs) %}{% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map mmk-map {{ this.css_class|e }}" id={{ this.get_name()|tojson }}
                 role="region" aria-label="{{ this.label|e }}"></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            );
            (function (control, labels) {
                // Leaflet's zoom buttons are labelled in English; the page speaks its own language.
                if (!control) return;
                [["in", labels[0]], ["out", labels[1]]].forEach(function (pair) {
                    var container = control.getContainer();
                    var button = container.querySelector(".leaflet-control-zoom-" + pair[0]);
                    if (button) {
                        button.title = pair[1];
                        button.setAttribute("aria-label", pair[1]);
                    }
                });
            })({{ this.get_name() }}.zoomControl, {{ this.zoom_labels|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, *, label: str, css_class: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        super().__init__(**kwargs)
        self.label = label
        self.css_class = css_class
        self.zoom_labels = [_("Zoom in"), _("Zoom out")]


@dataclass(frozen=True)
class RenderedMap:
    """A map in the parts a page places itself: links for <head>, the container, the code."""

    header: SafeString
    html: SafeString
    script: SafeString


def base_map(*, label: str, css_class: str = "", **kwargs: Any) -> Map:
    """A map with the configured tile layer; `max_zoom` sits on the layer so clustering works."""
    m = Map(label=label, css_class=css_class, **kwargs)
    folium.TileLayer(
        tiles=settings.MAP_TILE_URL,
        attr=settings.MAP_TILE_ATTRIBUTION,
        max_zoom=settings.MAP_TILE_MAX_ZOOM,
        name="base",
        control=False,
    ).add_to(m)
    return m


def render_map(m: Map) -> RenderedMap:
    """Render folium's Figure and hand back its three parts, not a whole folium document."""
    figure = cast(Figure, m.get_root())
    # The page has its own charset declaration; folium's second one would only be noise.
    figure.header._children.pop("meta_http", None)
    figure.render()
    # folium's templates write user data only through `tojson` (which escapes <, >, & and ')
    # or our own `|e`, so its output is safe to place in the page as it is.
    return RenderedMap(
        header=mark_safe(figure.header.render()),  # noqa: S308
        html=mark_safe(figure.html.render()),  # noqa: S308
        script=mark_safe(figure.script.render()),  # noqa: S308
    )


# Rendered maps by what they were built from: folium builds its element tree and compiles a Jinja
# template per element on every build (~30 ms for a project map here), for output that only changes
# when the map's inputs do. Kept per process: the hit costs a dictionary look-up, where a shared
# cache would cost a round trip and unpickling; a new deployment starts empty.
# A map is a few kB, a few hundred with a detailed area outline: memory stays bounded.
RENDERED_MAPS_KEPT = 256
_rendered: OrderedDict[str, RenderedMap] = OrderedDict()
_rendered_lock = threading.Lock()


def map_key(*inputs: Any) -> str:
    """A key for a map built from `inputs` (JSON-able; geometries as their EWKB) in this language.

    The inputs themselves are the data version: a changed title, area, site, filter or label
    gives another key, so a cached map is never stale. Settings (tiles, URLs, assets) are fixed
    for the life of a process; where they change (tests), the cache is emptied.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([get_language(), inputs], default=_key_default).encode())
    return digest.hexdigest()


def cached_map(key: str, build: Callable[[], RenderedMap]) -> RenderedMap:
    """The map rendered for `key`, built (and kept, least recently used out) on a miss."""
    with _rendered_lock:
        rendered = _rendered.get(key)
        if rendered is not None:
            _rendered.move_to_end(key)
            return rendered
    # Built outside the lock: two requests may both build a new map, and both results are equal.
    rendered = build()
    with _rendered_lock:
        _rendered[key] = rendered
        _rendered.move_to_end(key)
        while len(_rendered) > RENDERED_MAPS_KEPT:
            _rendered.popitem(last=False)
    return rendered


def _key_default(value: Any) -> Any:
    ewkb = getattr(value, "ewkb", None)
    if ewkb is not None:  # a GEOS geometry: its exact coordinates and SRID
        return hashlib.sha256(bytes(ewkb)).hexdigest()
    return str(value)  # lazy strings (static URLs, translations)


@receiver(setting_changed)
def _forget_rendered_maps(**_kwargs: Any) -> None:
    with _rendered_lock:
        _rendered.clear()
