"""Maps of the planners' workspace: the folium factory of geo/maps.py, on our own assets."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import MacroElement
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode

from geo.analysis import DistrictTable, HeatCell
from geo.maps import Map, RenderedMap, base_map, render_map, static_url
from geo.selectors import city_point
from proposals.links import url_template
from proposals.models import Proposal
from proposals.workspace.selectors import MAP_FEATURE_CAP

# Five classes from light to dark (ColorBrewer "Blues"), readable by people with colour blindness.
CHOROPLETH_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA_COLOUR = "#d9d9d9"
QUERY_STYLE: dict[str, Any] = {
    "color": "#c2185b",
    "weight": 2,
    "fillColor": "#c2185b",
    "fillOpacity": 0.08,
}


class WorkspaceLayer(JSCSSMixin, MacroElement):
    """The workspace's proposals from its API (status-coloured dots), and polygon drawing."""

    default_js = [
        ("leaflet_draw", static_url("vendor/leaflet-draw/leaflet.draw.js")),
        ("vectorgrid", static_url("vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js")),
        ("workspace", static_url("js/workspace.js")),
    ]
    default_css = [("leaflet_draw_css", static_url("vendor/leaflet-draw/leaflet.draw.css"))]

    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <p class="map-status" id={{ this.status_id|tojson }} role="status"></p>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            MmkWorkspace.loadProposals({{ this._parent.get_name() }}, {{ this.url|tojson }}, {
                statusElement: document.getElementById({{ this.status_id|tojson }}),
                polygonField: {{ this.polygon_field|tojson }},
                labels: {{ this.labels|tojson }},
                tiles: {{ this.tiles|tojson }}
            });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        *,
        polygon_field: str | None,
        labels: Mapping[str, Any],
        tiles: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._name = "WorkspaceLayer"
        self.url = url
        self.polygon_field = polygon_field
        self.labels = dict(labels)
        self.tiles = dict(tiles) if tiles else None

    @property
    def status_id(self) -> str:
        return f"{self.get_name()}_status"


def proposals_map(
    *,
    api_url: str,
    bounds: Sequence[float] | None,
    area: Any = None,
    place: Any = None,
    distance: int | None = None,
) -> RenderedMap:
    """The filtered proposals; the polygon or the distance circle of a spatial filter on top."""
    m = _workspace_map(label=_("Map of the filtered proposals"), zoom_start=13, bounds=bounds)
    if area is not None:
        _outline(area).add_to(m)
    if place is not None and distance:
        if place.geom_type == "Point":
            folium.Circle([place.y, place.x], radius=distance, **QUERY_STYLE).add_to(m)
        else:
            _outline(place).add_to(m)
    WorkspaceLayer(
        api_url,
        polygon_field="id_polygon",
        labels={
            "loading": _("Loading proposals…"),
            "loaded": _("%(count)s proposals on the map."),
            "failed": _("The proposals could not be loaded; the table below lists them."),
            "review": _("Review"),
            "votes": _("Votes"),
            "drawn": _("Polygon taken over into the filter; the proposals are filtered."),
            "draw": _draw_texts(),
            "statuses": {value: str(label) for value, label in Proposal.Status.choices},
        },
        tiles=_vector_tiles(),
    ).add_to(m)
    return render_map(m)


def _draw_texts() -> dict[str, Any]:
    """Leaflet.draw's texts (its `L.drawLocal` tree) for the tools the workspace offers."""
    cancel = {"title": _("Cancel drawing"), "text": _("Cancel")}
    return {
        "draw": {
            "toolbar": {
                "actions": cancel,
                "finish": {"title": _("Finish drawing"), "text": _("Finish")},
                "undo": {"title": _("Delete the last point"), "text": _("Delete last point")},
                "buttons": {
                    "polygon": _("Draw a polygon to filter by area"),
                    "rectangle": _("Draw a rectangle to filter by area"),
                },
            },
            "handlers": {
                "polygon": {
                    "tooltip": {
                        "start": _("Click to start the area."),
                        "cont": _("Click to add a corner."),
                        "end": _("Click the first point to close the area."),
                    }
                },
                "polyline": {
                    "error": _("The edges of the area must not cross."),
                    "tooltip": {
                        "start": _("Click to start the area."),
                        "cont": _("Click to add a corner."),
                        "end": _("Click the first point to close the area."),
                    },
                },
                "rectangle": {"tooltip": {"start": _("Click and drag to draw a rectangle.")}},
                "simpleshape": {"tooltip": {"end": _("Release the mouse to finish.")}},
            },
        },
        "edit": {
            "toolbar": {
                "actions": {
                    "save": {"title": _("Save the changes"), "text": _("Save")},
                    "cancel": cancel,
                    "clearAll": {"title": _("Delete the area"), "text": _("Delete all")},
                },
                "buttons": {
                    "edit": _("Edit the area"),
                    "editDisabled": _("No area to edit"),
                    "remove": _("Delete the area (the filter is lifted)"),
                    "removeDisabled": _("No area to delete"),
                },
            },
            "handlers": {
                "remove": {"tooltip": {"text": _("Click the area to delete it.")}},
            },
        },
    }


def _vector_tiles() -> dict[str, Any]:
    """Above the threshold (and never above the GeoJSON cap) the map draws vector tiles."""
    return {
        "url": url_template("api-workspace:tiles", z="{z}", x="{x}", y="{y}"),
        "threshold": min(settings.MAP_VECTOR_TILE_THRESHOLD, MAP_FEATURE_CAP - 1),
        "maxZoom": settings.MAP_TILE_MAX_ZOOM,
        "reviewUrl": url_template("proposals:workspace:review", pk="{id}"),
    }


def _workspace_map(*, label: str, zoom_start: int, bounds: Sequence[float] | None) -> Map:
    """A workspace map centred on its data; one without data (no proposals yet) on the city."""
    if bounds:
        xmin, ymin, xmax, ymax = bounds
        location, zoom = [(ymin + ymax) / 2, (xmin + xmax) / 2], zoom_start
    elif (centre := city_point()) is not None:
        location, zoom = [centre.y, centre.x], zoom_start
    else:
        # No city boundary either: the whole world until there is something to show.
        location, zoom = [0.0, 0.0], 2
    m = base_map(
        label=label,
        css_class="mmk-map--workspace",
        location=location,
        zoom_start=zoom,
        zoom_snap=0.25,
    )
    _fit(m, bounds)
    return m


def choropleth_map(table: DistrictTable, *, per_1000: bool) -> tuple[RenderedMap, list[dict]]:
    """Districts shaded by proposals per 1,000 residents (or by count); map and legend classes."""
    values = [
        (r.per_1000 if per_1000 else float(r.count))
        for r in table.rows
        if (r.per_1000 is not None or not per_1000)
    ]
    breaks = _equal_breaks(values, len(CHOROPLETH_COLOURS))
    features = []
    for row in table.rows:
        if row.geometry is None:
            continue
        value = row.per_1000 if per_1000 else float(row.count)
        colour = NO_DATA_COLOUR if value is None else CHOROPLETH_COLOURS[_class_of(value, breaks)]
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(row.geometry),
                "properties": {
                    # Numbers the page's way ("1,67" in German): the tooltip is text people read.
                    "label": ngettext(
                        "%(name)s: %(count)s proposal, %(rate)s per 1,000 residents",
                        "%(name)s: %(count)s proposals, %(rate)s per 1,000 residents",
                        row.count,
                    )
                    % {
                        "name": row.name,
                        "count": number_format(row.count, force_grouping=True),
                        "rate": "\u2013"  # an en dash: no figure (no residents known)
                        if row.per_1000 is None
                        else number_format(row.per_1000, 2, force_grouping=True),
                    },
                    "colour": colour,
                },
            }
        )
    m = _workspace_map(
        label=_("Map of the districts shaded by proposals per 1,000 residents")
        if per_1000
        else _("Map of the districts shaded by number of proposals"),
        zoom_start=12,
        bounds=_extent_of(features) if features else None,
    )
    if features:
        collection = {"type": "FeatureCollection", "features": features}
        folium.GeoJson(
            collection,
            name="districts",
            control=False,
            style_function=lambda f: {
                "color": "#37474f",
                "weight": 1,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.75,
            },
            # District names are data: the tooltip gets them as text, never as HTML.
            on_each_feature=JsCode(
                """
                function (feature, layer) {
                    var label = document.createElement("span");
                    label.textContent = feature.properties.label;
                    layer.bindTooltip(label, {sticky: true});
                }
                """
            ),
        ).add_to(m)
    legend = [
        {"colour": colour, "low": low, "high": high}
        for colour, (low, high) in zip(CHOROPLETH_COLOURS, _pairs(breaks), strict=False)
    ]
    return render_map(m), legend


# Sequential blues, light to dark (each class differs in lightness, so also in greyscale).
GRID_COLOURS = ["#c6dbef", "#6baed6", "#2171b5", "#08519c", "#08306b"]
METRES_PER_DEGREE = 111_320.0


def heat_map(
    cells: list[HeatCell], *, label: str, cell_m: int = 50
) -> tuple[RenderedMap, list[dict[str, Any]]]:
    """The density grid as squares of `cell_m` metres shaded in five classes; map and legend.

    Squares rather than blurred heat: each shows one cell's sum, and the legend says how much.
    """
    bounds = None
    if cells:
        lats = [c.lat for c in cells]
        lons = [c.lon for c in cells]
        bounds = (min(lons), min(lats), max(lons), max(lats))
    m = _workspace_map(label=label, zoom_start=14, bounds=bounds)
    breaks = _equal_breaks([float(c.weight) for c in cells], len(GRID_COLOURS))
    features = []
    for c in cells:
        # The cell around its grid node (ST_SnapToGrid in EPSG:25832), near enough in degrees.
        dlat = cell_m / 2 / METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(c.lat)), 0.01)
        colour = GRID_COLOURS[_class_of(float(c.weight), breaks)]
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [c.lon - dlon, c.lat - dlat],
                            [c.lon + dlon, c.lat - dlat],
                            [c.lon + dlon, c.lat + dlat],
                            [c.lon - dlon, c.lat + dlat],
                            [c.lon - dlon, c.lat - dlat],
                        ]
                    ],
                },
                "properties": {
                    "weight": c.weight,
                    "style": {
                        "color": "#ffffff",
                        "weight": 1,
                        "fillColor": colour,
                        "fillOpacity": 0.85,
                    },
                },
            }
        )
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="grid",
            control=False,
            # The sum as a plain-text tooltip (folium's GeoJsonTooltip adds an inline <style>
            # that the CSP refuses).
            on_each_feature=JsCode(
                "function (feature, layer) {"
                " layer.bindTooltip(new Intl.NumberFormat(document.documentElement.lang)"
                ".format(feature.properties.weight)); }"
            ),
        ).add_to(m)
    legend = [
        {"colour": colour, "low": low, "high": high}
        for colour, (low, high) in zip(GRID_COLOURS, _pairs(breaks), strict=True)
    ]
    return render_map(m), legend


def _outline(geometry: Any) -> folium.GeoJson:
    return folium.GeoJson(
        {"type": "Feature", "geometry": json.loads(geometry.geojson), "properties": {}},
        name="query",
        control=False,
        interactive=False,
        style_function=lambda _f: QUERY_STYLE,
    )


def _fit(m: folium.Map, bounds: Sequence[float] | None) -> None:
    if bounds:
        xmin, ymin, xmax, ymax = bounds
        m.fit_bounds([[ymin, xmin], [ymax, xmax]], max_zoom=17)


def _extent_of(features: list[dict]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for feature in features:
        walk(feature["geometry"]["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def _equal_breaks(values: list[float | None], classes: int) -> list[float]:
    """Upper bounds of equal-width classes from 0 to the largest value (a legend people read)."""
    top = max((v for v in values if v is not None), default=0.0)
    if top <= 0:
        return [0.0] * classes
    return [round(top * (i + 1) / classes, 2) for i in range(classes)]


def _class_of(value: float, breaks: list[float]) -> int:
    for index, upper in enumerate(breaks):
        if value <= upper:
            return index
    return len(breaks) - 1


def _pairs(breaks: list[float]) -> list[tuple[float, float]]:
    lows = [0.0, *breaks[:-1]]
    return list(zip(lows, breaks, strict=True))
