"""Admin for named areas, and the offline map widget every geometry in the admin uses."""

from __future__ import annotations

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
