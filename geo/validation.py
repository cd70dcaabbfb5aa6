"""Validation of geometry that users and files send: clear, translated messages, nothing stored.

Every geometry from outside is checked here before anything transforms it: PROJ spins for tens
of seconds on absurd coordinates (EPSG:3857 `POINT(1e20 1e20)`), so the numbers must be finite,
few, and plausible for the CRS they claim, and that CRS must be one GDAL knows.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.gis.gdal import OGRGeometry
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from geo.crs import STORAGE_SRID, plausible_bounds, srid_from_name

# Bounding boxes wider than this are refused: no legitimate map view spans more of the globe
# than a country, and unbounded boxes make the bbox index useless.
MAX_BBOX_DEGREES = 20.0
# Vertices of one geometry from outside: a drawn search area or a district has hundreds; more
# than this is no hand-made shape and would only make the server work.
MAX_VERTICES = 10_000
# Nesting of GeoJSON coordinate arrays: a MultiPolygon has four levels.
_MAX_NESTING = 4
_EWKT_SRID = re.compile(r"^SRID=[0-9]+;", re.IGNORECASE)


def parse_geometry(value: object, *, field: str) -> GEOSGeometry:
    """A geometry sent from outside: a GeoJSON geometry (object or text, optionally with a
    2008-style `crs` member), WKT, or EWKT (`SRID=25832;POINT(…)`); without a CRS it is WGS 84.

    Checked (`check_geometry`) and not yet transformed: it keeps the CRS it was sent in.
    """
    invalid = _error(field, _("This is neither WKT nor GeoJSON of a geometry."), "syntax")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text, parse_constant=_refuse_constant)
            except (ValueError, RecursionError):
                raise invalid from None
        else:
            return check_geometry(_from_wkt(text, invalid, field), field=field)
    if not isinstance(value, Mapping):
        raise invalid
    return check_geometry(_from_geojson(value, invalid, field), field=field)


def check_geometry(geometry: GEOSGeometry, *, field: str) -> GEOSGeometry:
    """The checks every outside geometry passes before any transformation (see the module).

    A geometry without an SRID is taken as WGS 84 and gets that SRID.
    """
    if geometry.empty:
        raise _error(field, _("The geometry is empty."), "empty")
    if geometry.num_coords > MAX_VERTICES:
        raise _error(
            field,
            _("The geometry has %(count)d vertices; at most %(limit)d are allowed.")
            % {"count": geometry.num_coords, "limit": MAX_VERTICES},
            "too_many_vertices",
        )
    if geometry.srid in (None, 0):
        geometry.srid = STORAGE_SRID
    try:
        extent = geometry.extent
    except ValueError:  # GEOS has no envelope for NaN coordinates
        extent = (math.nan,) * 4
    check_extent(extent, geometry.srid, field=field)
    return geometry


def check_extent(extent: tuple[float, float, float, float], srid: int, *, field: str) -> None:
    """(xmin, ymin, xmax, ymax) in EPSG:`srid` is finite and where that CRS is used.

    Also for geometries GDAL reads from files (OGR envelopes), before they are transformed.
    """
    bounds = plausible_bounds(srid)
    if bounds is None:
        raise _error(
            field,
            _("EPSG:%(srid)s is not a coordinate reference system we know.") % {"srid": srid},
            "crs",
        )
    xmin, ymin, xmax, ymax = extent
    if not all(math.isfinite(v) for v in extent):
        raise _error(field, _("The coordinates must be finite numbers."), "out_of_range")
    if xmin < bounds[0] or ymin < bounds[1] or xmax > bounds[2] or ymax > bounds[3]:
        raise _error(
            field,
            _(
                "The coordinates lie outside the area where EPSG:%(srid)s is used "
                "(x %(xmin).6g to %(xmax).6g, y %(ymin).6g to %(ymax).6g)."
            )
            % {
                "srid": srid,
                "xmin": bounds[0],
                "xmax": bounds[2],
                "ymin": bounds[1],
                "ymax": bounds[3],
            },
            "out_of_range",
        )


def _from_wkt(text: str, invalid: ValidationError, field: str) -> GEOSGeometry:
    # OGR reads the M of `POINT ZM (…)` (and a fourth number) that GEOS would silently drop.
    try:
        # The SRID is judged by check_geometry, with a message of its own.
        parsed = OGRGeometry(_EWKT_SRID.sub("", text, count=1))
    except (GDALException, GEOSException, ValueError, TypeError, IndexError):
        raise invalid from None
    if parsed.is_measured or parsed.coord_dim > 3:
        raise _error(field, _too_many_numbers(), "invalid")
    try:
        return GEOSGeometry(text)
    except (GDALException, GEOSException, ValueError, TypeError):
        raise invalid from None


def _from_geojson(value: Mapping[str, Any], invalid: ValidationError, field: str) -> GEOSGeometry:
    kind = value.get("type")
    # A JSON object or list as the type is unhashable: asking the set about it would raise.
    if not isinstance(kind, str) or kind not in _GEOJSON_TYPES or "coordinates" not in value:
        raise invalid
    count = _positions(value["coordinates"], depth=0, field=field)
    if count == 0:
        raise _error(field, _("The geometry is empty."), "empty")
    srid: int | None = None
    if value.get("crs") is not None:
        srid = _geojson_crs(value["crs"], field)
    plain = {"type": value["type"], "coordinates": value["coordinates"]}
    try:
        geometry = GEOSGeometry(json.dumps(plain))
    except (GDALException, GEOSException, ValueError, TypeError):
        raise invalid from None
    geometry.srid = srid or STORAGE_SRID
    return geometry


_GEOJSON_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)


def _positions(coordinates: object, *, depth: int, field: str) -> int:
    """How many positions the nested arrays hold; each must be 2 or 3 finite numbers."""
    if not isinstance(coordinates, list | tuple) or depth > _MAX_NESTING:
        raise _error(field, _("The coordinates must be arrays of numbers."), "invalid")
    if coordinates and all(isinstance(c, int | float) for c in coordinates):
        if any(isinstance(c, bool) for c in coordinates) or not 2 <= len(coordinates) <= 3:
            raise _error(field, _too_many_numbers(), "invalid")
        if not all(math.isfinite(c) for c in coordinates):
            raise _error(field, _("The coordinates must be finite numbers."), "out_of_range")
        return 1
    total = 0
    for item in coordinates:
        total += _positions(item, depth=depth + 1, field=field)
        if total > MAX_VERTICES:
            raise _error(
                field,
                _("The geometry has more than %(limit)d vertices.") % {"limit": MAX_VERTICES},
                "too_many_vertices",
            )
    return total


def _geojson_crs(crs: object, field: str) -> int:
    name: object = None
    if isinstance(crs, Mapping) and isinstance(crs.get("properties"), Mapping):
        properties = crs["properties"]
        if crs.get("type") == "name":
            name = properties.get("name")
        elif crs.get("type") == "EPSG":
            name = f"EPSG:{properties.get('code')}"
    srid = srid_from_name(name) if isinstance(name, str) else None
    if srid is None:
        raise _error(
            field,
            _(
                "The crs member names no coordinate reference system we know; give "
                '{"type": "name", "properties": {"name": "EPSG:25832"}} or '
                "leave it out for WGS 84."
            ),
            "crs",
        )
    return srid


def _error(field: str, message: str, code: str) -> ValidationError:
    # The code on the message itself: a dict's own code does not reach its messages.
    return ValidationError({field: ValidationError(message, code=code)})


def _too_many_numbers() -> str:
    return _("A position has two numbers (x, y), or three with a height; no more.")


def _refuse_constant(name: str) -> None:
    raise ValueError(name)


def point_from_lonlat(lon: object, lat: object, *, field: str = "location") -> Point:
    """A point in EPSG:4326 from user-given longitude and latitude."""
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _error(field, _("Longitude and latitude must be numbers."), "invalid") from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise _error(
            field,
            _("Longitude must lie between -180 and 180 and latitude between -90 and 90."),
            "out_of_range",
        )
    return Point(x, y, srid=STORAGE_SRID)


def as_storage_point(geometry: GEOSGeometry | None, *, field: str = "location") -> Point:
    """A user geometry as a point in the storage CRS, or a field error."""
    if geometry is None:
        raise _error(field, _("Choose a place on the map."), "required")
    if geometry.geom_type != "Point":
        raise _error(
            field,
            _("A pin must be a point, not a %(kind)s.") % {"kind": geometry.geom_type},
            "invalid_type",
        )
    point = _to_storage(geometry, field)
    assert isinstance(point, Point)  # noqa: S101 - a transform keeps the type
    return point_from_lonlat(point.x, point.y, field=field)


def as_storage_multipolygon(geometry: GEOSGeometry | None, *, field: str) -> MultiPolygon:
    """A user polygon as a valid MultiPolygon in the storage CRS, or a field error saying why."""
    if geometry is None:
        raise _error(field, _("A polygon is required."), "required")
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if not isinstance(geometry, MultiPolygon):
        raise _error(
            field,
            _("Expected a polygon, not a %(kind)s.") % {"kind": geometry.geom_type},
            "invalid_type",
        )
    if geometry.empty:
        raise _error(field, _("The polygon is empty."), "empty")
    check_geometry(geometry, field=field)  # before GEOS judges validity of a million vertices
    if not geometry.valid:
        raise _error(
            field,
            _("The polygon is not valid: %(reason)s.") % {"reason": geometry.valid_reason},
            "invalid_geometry",
        )
    result = _to_storage(geometry, field)
    assert isinstance(result, MultiPolygon)  # noqa: S101 - a transform keeps the type
    return result


def parse_bbox(raw: str, *, field: str = "bbox") -> Polygon:
    """`minlon,minlat,maxlon,maxlat` (EPSG:4326) as a polygon for an index-backed filter."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise _error(
            field,
            _(
                "Give the box as four numbers: min longitude, min latitude, "
                "max longitude, max latitude."
            ),
            "invalid",
        )
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise _error(field, _("The box's corners must be numbers."), "invalid") from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or not (
        -180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90
    ):
        raise _error(
            field, _("The box must have min < max within -180..180 and -90..90."), "invalid"
        )
    if x2 - x1 > MAX_BBOX_DEGREES or y2 - y1 > MAX_BBOX_DEGREES:
        raise _error(
            field,
            _("The box may span at most %(deg)s degrees.") % {"deg": MAX_BBOX_DEGREES},
            "too_large",
        )
    return _srid(Polygon.from_bbox((x1, y1, x2, y2)))


def _to_storage(geometry: GEOSGeometry, field: str) -> GEOSGeometry:
    check_geometry(geometry, field=field)
    if geometry.srid == STORAGE_SRID:
        return geometry
    try:
        return geometry.transform(STORAGE_SRID, clone=True)
    except (GDALException, GEOSException):
        raise _error(
            field, _("The coordinates cannot be converted to WGS 84 (EPSG:4326)."), "crs"
        ) from None


def _srid(geometry: Polygon) -> Polygon:
    geometry.srid = STORAGE_SRID
    return geometry
