"""Admin for named areas, and the offline map widget every geometry in the admin uses."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.forms import OSMWidget

from geo.models import Area


def _city_point() -> tuple[float, float] | None:
    """A point on the city boundary's surface, computed by PostGIS, to centre empty maps on."""
    point = (
        Area.objects.filter(kind=Area.Kind.CITY)
        .order_by("pk")
        .annotate(p=PointOnSurface("geometry"))
        .values_list("p", flat=True)
        .first()
    )
    return (point.x, point.y) if point is not None else None


# Orientation outlines are simplified to about 10 m: enough to find one's way, small in the page.
ORIENTATION_TOLERANCE = 0.0001
MAX_ORIENTATION_AREAS = 200


def _orientation() -> str:
    """The city boundary and the districts as GeoJSON (EPSG:4326) for the widget's outline layer.

    They orient the planner even when the tile server is unreachable (offline, blocked); the
    JSON goes into an inline script, so "<" is escaped and no name can close the tag.
    """
    features = []
    areas = Area.objects.filter(kind__in=[Area.Kind.CITY, Area.Kind.DISTRICT]).order_by(
        "kind", "name"
    )[:MAX_ORIENTATION_AREAS]
    for area in areas:
        outline = area.geometry.simplify(ORIENTATION_TOLERANCE, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(outline.geojson),
                "properties": {"name": area.name, "kind": area.kind},
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection).replace("<", "\\u003c")


def _openlayers_tile_url(url: str) -> str:
    # Leaflet writes subdomains as {s} and the retina suffix as {r}; OpenLayers knows {a-c} only.
    return url.replace("{s}", "{a-c}").replace("{r}", "")


class TileServerWidget(OSMWidget):
    """Django's OpenLayers widget on our vendored `ol` files and the configured tile server.

    Django's own Media load OpenLayers from a CDN, and its base layer asks OpenStreetMap
    directly: both would be third-party requests from a planner's browser.
    """

    template_name = "geo/openlayers-tiles.html"
    default_zoom = 13

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context.update(
            tile_url=_openlayers_tile_url(settings.MAP_TILE_URL),
            tile_attribution=settings.MAP_TILE_ATTRIBUTION,
            tile_max_zoom=int(settings.MAP_TILE_MAX_ZOOM),
            orientation=_orientation(),
            city_kind=Area.Kind.CITY,
        )
        if not value and (city := _city_point()) is not None:
            context["default_lon"], context["default_lat"] = city
        return context


class MapAdmin(GISModelAdmin):
    """A model admin whose geometry fields are edited on the offline widget."""

    gis_widget = TileServerWidget


@admin.register(Area)
class AreaAdmin(MapAdmin):
    list_display = ("name", "kind", "population", "is_approximate")
    list_filter = ("kind", "is_approximate")
    search_fields = ("name", "slug", "external_id")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("kind", "name")
