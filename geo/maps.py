"""The folium map factory: Leaflet maps on self-hosted assets, rendered into our own pages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import folium
from branca.element import Figure, MacroElement
from django.conf import settings
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode

from locations.models import Site

# Resolved when the page renders, not at import: the storage may add hashes to file names.
static_url = lazy(static, str)

# The proposals' vector tiles (api/v1/tiles.py); the map appends the pins' filter query to it.
PROPOSAL_TILES_PATH = "/api/v1/tiles/proposals/{z}/{x}/{y}.mvt"

PERIMETER_STYLE = {"color": "#1f6f8b", "weight": 3, "fillColor": "#1f6f8b", "fillOpacity": 0.06}
# Sites are white rings with a dark edge: unlike the filled, category-coloured proposal pins.
SITE_STYLE = {"color": "#263238", "weight": 3, "fillColor": "#ffffff", "fillOpacity": 0.85}
RESULT_STYLE = {"color": "#0b3a4f", "weight": 2, "fillOpacity": 0.75}
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


class ProposalPins(JSCSSMixin, MacroElement):
    """Loads the proposals from the API (following `rel=next`) into a marker cluster layer.

    Pins are fetched rather than baked into the page: code per marker makes big pages slow, and
    the API already applies who may see what. When the first page says more than `tiles`'
    threshold match, the map shows them as vector tiles with the same filters instead.
    """

    default_js = [
        (
            "leaflet_markercluster",
            static_url("vendor/leaflet.markercluster/leaflet.markercluster.js"),
        ),
        (
            "leaflet_vectorgrid",
            static_url("vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js"),
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
                    labels: {{ this.labels|tojson }},
                    tiles: {{ this.tiles|tojson }}
                }
            );
        {% endmacro %}
        """
    )

    def __init__(
        self, pins_url: str, labels: Mapping[str, str], tiles: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__()
        self._name = "ProposalPins"
        self.pins_url = pins_url
        self.labels = dict(labels)
        self.tiles = dict(tiles) if tiles else None

    @property
    def status_id(self) -> str:
        return f"{self.get_name()}_status"


class PlacePicker(JSCSSMixin, MacroElement):
    """Clicking the map inside the project's area fills a proposal form's coordinate fields.

    `options` name the form and its status element, carry the perimeter (GeoJSON geometry) for
    the immediate inside/outside feedback, the gazetteer's points and the labels; the server's
    check stays the authoritative one.
    """

    default_js = [("mitmachkarte_place", static_url("js/mitmachkarte-place.js"))]

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            MitmachkartePlace.attach({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "PlacePicker"
        self.options = dict(options)


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


def project_map(
    project: Any,
    *,
    pins_url: str,
    sites: Iterable[Site] = (),
    picker: Mapping[str, Any] | None = None,
) -> RenderedMap:
    """The project's perimeter, the city's sites and every proposal the viewer may see.

    With `picker` (see `PlacePicker`), a click on the map chooses the place of a new proposal.
    """
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
            "loaded_tiles": _(
                "%(count)s proposals on the map, drawn as vector tiles. Select a point for "
                "details; the list below shows them all."
            ),
        },
        tiles=_vector_tiles(project, pins_url),
    ).add_to(m)
    if picker is not None:
        PlacePicker({**picker, "perimeter": json.loads(perimeter.geojson)}).add_to(m)
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


def results_map(project: Any, rows: Sequence[Any]) -> RenderedMap:
    """Each option as a circle whose area grows with its total votes (online and paper)."""
    m = base_map(
        label=_("Map of the results of “%(title)s”: larger circles have more votes")
        % {"title": project.title},
        css_class="mmk-map--results",
        zoom_snap=0.25,
        location=[project.perimeter.centroid.y, project.perimeter.centroid.x],
    )
    most = max((row.total for row in rows), default=0) or 1
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(row.location.geojson),
            "properties": {
                "label": _("%(title)s: %(votes)s votes (rank %(rank)s)")
                % {"title": row.title, "votes": row.total, "rank": row.rank},
                # Area, not radius, proportional to votes: the eye compares areas.
                "style": {
                    **RESULT_STYLE,
                    "radius": 6 + 24 * (row.total / most) ** 0.5,
                    "fillColor": "#0b4f6c" if row.rank == 1 else "#6fa8bf",
                },
            },
        }
        for row in rows
        if row.location is not None
    ]
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="results",
            control=False,
            marker=folium.CircleMarker(radius=6, fill=True),
            on_each_feature=TEXT_TOOLTIP,
        ).add_to(m)
    xmin, ymin, xmax, ymax = project.perimeter.extent
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
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


def _vector_tiles(project: Any, pins_url: str) -> dict[str, Any]:
    """Where the map finds the proposals as vector tiles, and from how many pins it uses them.

    The tiles get the pins' query (project, category, status), so both show the same proposals;
    a point's link is the proposal page's URL in the page's language, `{id}` filled in by JS.
    """
    query = urlsplit(pins_url).query
    marker = 987654321
    try:
        page = reverse("proposals:proposal-detail", kwargs={"slug": project.slug, "pk": marker})
        proposal_url: str | None = page.replace(str(marker), "{id}")
    except NoReverseMatch:
        proposal_url = None
    return {
        "url": PROPOSAL_TILES_PATH + (f"?{query}" if query else ""),
        "threshold": int(settings.MAP_VECTOR_TILE_THRESHOLD),
        "maxZoom": int(settings.MAP_TILE_MAX_ZOOM),
        "proposalUrl": proposal_url,
    }


def _site_feature(site: Site) -> dict[str, Any]:
    geometry = site.outline if site.outline is not None else site.location
    return {
        "type": "Feature",
        "geometry": json.loads(geometry.geojson),
        "properties": {"name": site.name, "style": SITE_STYLE},
    }
