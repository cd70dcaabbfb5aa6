"""The folium map factory: Leaflet maps on self-hosted assets, rendered into our own pages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import folium
from branca.element import Figure, MacroElement
from django.conf import settings
from django.templatetags.static import static
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode

from locations.models import Site

# Resolved when the page renders, not at import: the storage may add hashes to file names.
static_url = lazy(static, str)

PERIMETER_STYLE = {"color": "#1f6f8b", "weight": 3, "fillColor": "#1f6f8b", "fillOpacity": 0.06}
# Sites are white rings with a dark edge: unlike the filled, category-coloured proposal pins.
SITE_STYLE = {"color": "#263238", "weight": 3, "fillColor": "#ffffff", "fillOpacity": 0.85}


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
        {% endmacro %}
        """
    )

    def __init__(self, *, label: str, css_class: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        super().__init__(**kwargs)
        self.label = label
        self.css_class = css_class


class ProposalPins(JSCSSMixin, MacroElement):
    """Loads the proposals from the API (following `rel=next`) into a marker cluster layer.

    Pins are fetched rather than baked into the page: code per marker makes big pages slow, and
    the API already applies who may see what.
    """

    default_js = [
        (
            "leaflet_markercluster",
            static_url("vendor/leaflet.markercluster/leaflet.markercluster.js"),
        ),
        ("mitmachkarte_map", static_url("js/mitmachkarte-map.js")),
    ]
    default_css = [
        ("markercluster_css", static_url("vendor/leaflet.markercluster/MarkerCluster.css")),
        (
            "markercluster_default_css",
            static_url("vendor/leaflet.markercluster/MarkerCluster.Default.css"),
        ),
    ]

    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <p class="map-status" id={{ this.status_id|tojson }} role="status"></p>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = MitmachkarteMap.loadPins(
                {{ this._parent.get_name() }},
                {{ this.pins_url|tojson }},
                {
                    statusElement: document.getElementById({{ this.status_id|tojson }}),
                    labels: {{ this.labels|tojson }}
                }
            );
        {% endmacro %}
        """
    )

    def __init__(self, pins_url: str, labels: Mapping[str, str]) -> None:
        super().__init__()
        self._name = "ProposalPins"
        self.pins_url = pins_url
        self.labels = dict(labels)

    @property
    def status_id(self) -> str:
        return f"{self.get_name()}_status"


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


def project_map(project: Any, *, pins_url: str, sites: Iterable[Site] = ()) -> RenderedMap:
    """The project's perimeter, the city's sites and every proposal the viewer may see."""
    m = base_map(
        label=_("Map of the project “%(title)s” with its area, sites and proposals")
        % {"title": project.title},
        css_class="mmk-map--project",
        # Quarter zoom steps let the perimeter fill the map instead of the next whole level.
        zoom_snap=0.25,
        location=[project.perimeter.centroid.y, project.perimeter.centroid.x],
    )
    perimeter = project.perimeter
    folium.GeoJson(
        {
            "type": "Feature",
            "geometry": json.loads(perimeter.geojson),
            "properties": {"style": PERIMETER_STYLE},
        },
        name="perimeter",
        control=False,
        interactive=False,
    ).add_to(m)
    site_features = [_site_feature(site) for site in sites]
    if site_features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": site_features},
            name="sites",
            control=False,
            marker=folium.CircleMarker(radius=9, fill=True),
            # Site names are user data: the tooltip gets them as text, never as HTML.
            on_each_feature=JsCode(
                """
                function (feature, layer) {
                    var label = document.createElement("span");
                    label.textContent = feature.properties.name;
                    layer.bindTooltip(label);
                }
                """
            ),
        ).add_to(m)
    ProposalPins(
        pins_url,
        labels={
            "votes": _("Votes"),
            "comments": _("Comments"),
            "open": _("Open proposal"),
            "loading": _("Loading proposals…"),
            "loaded": _("%(count)s proposals on the map."),
            "loaded_one": _("One proposal on the map."),
            "loaded_none": _("No proposals on the map yet."),
            "failed": _("The proposals could not be loaded. The list below shows them all."),
        },
    ).add_to(m)
    xmin, ymin, xmax, ymax = perimeter.extent
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    return render_map(m)


def proposal_map(proposal: Any) -> RenderedMap:
    """A small map with the proposal's pin (and the project's area for orientation)."""
    point = proposal.location
    m = base_map(
        label=_("Map showing where the proposal “%(title)s” lies") % {"title": proposal.title},
        css_class="mmk-map--small",
        location=[point.y, point.x],
        zoom_start=min(17, settings.MAP_TILE_MAX_ZOOM),
    )
    folium.GeoJson(
        {
            "type": "Feature",
            "geometry": json.loads(proposal.project.perimeter.geojson),
            "properties": {"style": PERIMETER_STYLE},
        },
        name="perimeter",
        control=False,
        interactive=False,
    ).add_to(m)
    # Leaflet sets `title` and `alt` through the DOM, and folium writes options as JSON: no HTML.
    folium.Marker(
        [point.y, point.x], title=proposal.title, alt=proposal.title, keyboard=False
    ).add_to(m)
    return render_map(m)


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


def _site_feature(site: Site) -> dict[str, Any]:
    geometry = site.outline if site.outline is not None else site.location
    return {
        "type": "Feature",
        "geometry": json.loads(geometry.geojson),
        "properties": {"name": site.name, "style": SITE_STYLE},
    }
