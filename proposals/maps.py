"""The citizens' maps: a project with its area, sites and proposals; one proposal; the results.

Built with the folium factory of geo/maps.py; the pins come from the REST API, and every link a
map follows is reversed from the URLconf (proposals/links.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import folium
from branca.element import MacroElement
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode

from geo.maps import RenderedMap, base_map, cached_map, map_key, render_map, static_url
from locations.models import Site
from proposals.links import url_template
from proposals.models import Project, Proposal
from proposals.selectors import Place

PERIMETER_STYLE = {"color": "#1f6f8b", "weight": 3, "fillColor": "#1f6f8b", "fillOpacity": 0.06}
# Sites are white rings with a dark edge: unlike the filled, category-coloured proposal pins.
SITE_STYLE = {"color": "#263238", "weight": 3, "fillColor": "#ffffff", "fillOpacity": 0.85}


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
        # Only the layout rules: the clusters' colours are the site's (site.css, .pin-cluster).
        ("markercluster_css", static_url("vendor/leaflet.markercluster/MarkerCluster.css")),
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


def project_map(
    project: Project,
    *,
    pins_url: str,
    sites: Iterable[Site] = (),
    picker: Mapping[str, Any] | None = None,
) -> RenderedMap:
    """The project's perimeter, the city's sites and every proposal the viewer may see.

    With `picker` (see `PlacePicker`), a click on the map chooses the place of a new proposal.
    The rendered map is kept per process for the same inputs (geo.maps.cached_map): a page view
    then costs a look-up instead of a folium build.
    """
    sites = list(sites)
    key = map_key(
        "project",
        project.pk,
        project.slug,
        project.title,
        project.perimeter,
        pins_url,
        [(site.pk, site.name, site.location, site.outline) for site in sites],
        picker,
    )
    return cached_map(key, lambda: _build_project_map(project, pins_url, sites, picker))


def _build_project_map(
    project: Project,
    pins_url: str,
    sites: list[Site],
    picker: Mapping[str, Any] | None,
) -> RenderedMap:
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
            "show_on_map": _("Show on the map"),
            "loading": _("Loading proposals…"),
            "loaded": _("%(count)s proposals on the map."),
            "loaded_one": _("One proposal on the map."),
            "loaded_none": _("No proposals on the map yet."),
            "failed": _("The proposals could not be loaded. The list shows them all."),
            "loaded_tiles": _(
                "%(count)s proposals on the map, drawn as vector tiles. Where they lie close "
                "together, a circle with a number stands for them: select it to zoom in. Select "
                "a point for details; the list below shows them all."
            ),
            "cluster": _("%(count)s proposals here: zoom in"),
            "cluster_one": _("One proposal here: zoom in"),
        },
        tiles=_vector_tiles(project, pins_url),
    ).add_to(m)
    if picker is not None:
        PlacePicker({**picker, "perimeter": json.loads(perimeter.geojson)}).add_to(m)
    xmin, ymin, xmax, ymax = perimeter.extent
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    return render_map(m)


def proposal_map(proposal: Proposal) -> RenderedMap:
    """A small map with the proposal's pin (and the project's area for orientation)."""
    key = map_key(
        "proposal",
        proposal.pk,
        proposal.title,
        proposal.location,
        proposal.project.perimeter,
    )
    return cached_map(key, lambda: _build_proposal_map(proposal))


def _build_proposal_map(proposal: Proposal) -> RenderedMap:
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


def proposal_tiles_url() -> str:
    """The proposals' vector tiles (api/v1/tiles.py) as a `{z}/{x}/{y}` template."""
    return url_template("api-v1:proposal-tiles", z="{z}", x="{x}", y="{y}")


def pins_url(project: Project, **filters: str) -> str:
    """Where the map loads a project's pins: the REST API's proposals with the list's filters."""
    return f"{reverse('api-v1:proposals-list')}?{urlencode({'project': project.slug, **filters})}"


def picker_options(places: Iterable[Place]) -> dict[str, Any]:
    """What `PlacePicker` needs besides the perimeter: the form, the gazetteer and the labels."""
    return {
        "form": "proposal-form",
        "status": "place-status",
        "places": {p.key: [p.lon, p.lat] for p in places},
        "labels": {
            "outside": _(
                "This place lies outside the project area (the outlined area on the map). "
                "Please click inside it."
            ),
            "chosen": _(
                "Place chosen: latitude %(lat)s, longitude %(lon)s. Now describe your idea below."
            ),
            "chosen_place": _("Place chosen: %(name)s."),
            "marker": _("Your new proposal"),
            "move": _("Drag the pin to move it."),
            "next": _("Continue: describe your idea"),
        },
    }


def _vector_tiles(project: Project, pins_url: str) -> dict[str, Any]:
    """Where the map finds the proposals as vector tiles, and from how many pins it uses them.

    The tiles get the pins' query (project, category, status), so both show the same proposals;
    a point's link is the proposal page's URL in the page's language, `{id}` filled in by JS.
    """
    query = urlsplit(pins_url).query
    return {
        "url": proposal_tiles_url() + (f"?{query}" if query else ""),
        "threshold": int(settings.MAP_VECTOR_TILE_THRESHOLD),
        "maxZoom": int(settings.MAP_TILE_MAX_ZOOM),
        "proposalUrl": url_template("proposals:proposal-detail", slug=project.slug, pk="{id}"),
        # A point's own Feature (photo, category, comments) for its popup, `{id}` filled in by JS.
        "detailUrl": url_template("api-v1:proposals-detail", id="{id}"),
    }


def _site_feature(site: Site) -> dict[str, Any]:
    geometry = site.outline if site.outline is not None else site.location
    return {
        "type": "Feature",
        "geometry": json.loads(geometry.geojson),
        "properties": {"name": site.name, "style": SITE_STYLE},
    }
