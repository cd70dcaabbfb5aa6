"""Validation of geometry that users and files send: clear, translated messages, nothing stored."""

from __future__ import annotations

import math

from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from geo.crs import STORAGE_SRID

# Bounding boxes wider than this are refused: no legitimate map view spans more of the globe
# than a country, and unbounded boxes make the bbox index useless.
MAX_BBOX_DEGREES = 20.0


def point_from_lonlat(lon: object, lat: object, *, field: str = "location") -> Point:
    """A point in EPSG:4326 from user-given longitude and latitude."""
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(
            {field: _("Longitude and latitude must be numbers.")}, code="invalid"
        ) from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise ValidationError(
            {field: _("Longitude must lie between -180 and 180 and latitude between -90 and 90.")},
            code="out_of_range",
        )
    return Point(x, y, srid=STORAGE_SRID)


def as_storage_point(geometry: GEOSGeometry | None, *, field: str = "location") -> Point:
    """A user geometry as a point in the storage CRS, or a field error."""
    if geometry is None:
        raise ValidationError({field: _("Choose a place on the map.")}, code="required")
    if geometry.geom_type != "Point":
        raise ValidationError(
            {field: _("A pin must be a point, not a %(kind)s.") % {"kind": geometry.geom_type}},
            code="invalid_type",
        )
    point = _to_storage(geometry, field)
    assert isinstance(point, Point)  # noqa: S101 - a transform keeps the type
    return point_from_lonlat(point.x, point.y, field=field)


def as_storage_multipolygon(geometry: GEOSGeometry | None, *, field: str) -> MultiPolygon:
    """A user polygon as a valid MultiPolygon in the storage CRS, or a field error saying why."""
    if geometry is None:
        raise ValidationError({field: _("A polygon is required.")}, code="required")
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if not isinstance(geometry, MultiPolygon):
        raise ValidationError(
            {field: _("Expected a polygon, not a %(kind)s.") % {"kind": geometry.geom_type}},
            code="invalid_type",
        )
    if geometry.empty:
        raise ValidationError({field: _("The polygon is empty.")}, code="empty")
    if not geometry.valid:
        raise ValidationError(
            {field: _("The polygon is not valid: %(reason)s.") % {"reason": geometry.valid_reason}},
            code="invalid_geometry",
        )
    result = _to_storage(geometry, field)
    assert isinstance(result, MultiPolygon)  # noqa: S101 - a transform keeps the type
    return result


def parse_bbox(raw: str, *, field: str = "bbox") -> Polygon:
    """`minlon,minlat,maxlon,maxlat` (EPSG:4326) as a polygon for an index-backed filter."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValidationError(
            {
                field: _(
                    "Give the box as four numbers: min longitude, min latitude, "
                    "max longitude, max latitude."
                )
            },
            code="invalid",
        )
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise ValidationError(
            {field: _("The box's corners must be numbers.")}, code="invalid"
        ) from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or not (
        -180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90
    ):
        raise ValidationError(
            {field: _("The box must have min < max within -180..180 and -90..90.")}, code="invalid"
        )
    if x2 - x1 > MAX_BBOX_DEGREES or y2 - y1 > MAX_BBOX_DEGREES:
        raise ValidationError(
            {field: _("The box may span at most %(deg)s degrees.") % {"deg": MAX_BBOX_DEGREES}},
            code="too_large",
        )
    return _srid(Polygon.from_bbox((x1, y1, x2, y2)))


def _to_storage(geometry: GEOSGeometry, field: str) -> GEOSGeometry:
    if geometry.srid in (None, STORAGE_SRID):
        geometry.srid = STORAGE_SRID
        return geometry
    try:
        return geometry.transform(STORAGE_SRID, clone=True)
    except (GDALException, GEOSException):
        raise ValidationError(
            {field: _("The coordinates cannot be converted to WGS 84 (EPSG:4326).")}, code="crs"
        ) from None


def _srid(geometry: Polygon) -> Polygon:
    geometry.srid = STORAGE_SRID
    return geometry
