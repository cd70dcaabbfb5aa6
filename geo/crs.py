"""Coordinate reference systems: store and serve in EPSG:4326, measure in EPSG:25832.

Also what a CRS code sent from outside names, and where that CRS's coordinates are plausible:
PROJ spins for tens of seconds on absurd coordinates, so they are refused before any transform.
"""

from __future__ import annotations

import math
import re
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_void_p
from functools import lru_cache
from typing import cast

from django.contrib.gis.gdal import CoordTransform, GDALException, OGRGeometry, SpatialReference
from django.contrib.gis.gdal.error import SRSException
from django.contrib.gis.gdal.libgdal import lgdal

STORAGE_SRID = 4326
# ETRS89 / UTM zone 32N, the official CRS of Rhineland-Palatinate: metres, for distances and areas.
METRIC_SRID = 25832

# Coordinates a little outside a CRS's area of use are still plausible (a city at the edge of a
# UTM zone); this share of the area's width and height is added on each side.
AREA_OF_USE_MARGIN = 0.1
# Points per edge of the area of use when it is projected: the edges curve in most projections.
_EDGE_POINTS = 64

# The names GeoJSON's (2008) `crs` member and OGC APIs give a CRS.
_EPSG_NAME = re.compile(
    r"^(?:EPSG:{1,2}|urn:ogc:def:crs:EPSG:[0-9.]*:|https?://www\.opengis\.net/def/crs/EPSG/[0-9.]+/)"
    r"(?P<code>[0-9]{1,9})$",
    re.IGNORECASE,
)
_CRS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "https://www.opengis.net/def/crs/ogc/1.3/crs84",
        "ogc:crs84",
        "crs84",
    }
)

_area_of_use = lgdal.OSRGetAreaOfUse
_area_of_use.argtypes = [
    c_void_p,
    POINTER(c_double),
    POINTER(c_double),
    POINTER(c_double),
    POINTER(c_double),
    POINTER(c_char_p),
]
_area_of_use.restype = c_int


def srid_from_name(name: str) -> int | None:
    """The EPSG code a CRS name (`EPSG:3857`, a URN or an OGC URI) gives, if it gives one."""
    text = name.strip()
    if text.casefold() in _CRS84_NAMES:
        return STORAGE_SRID  # lon/lat on WGS 84: EPSG:4326 in the order we store
    match = _EPSG_NAME.match(text)
    return int(match["code"]) if match else None


@lru_cache(maxsize=64)
def plausible_bounds(srid: int) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) in the CRS's own units (x = longitude/easting) where its
    coordinates are plausible: its area of use with a margin. None for a CRS GDAL does not
    know, or one that does not say where it applies."""
    try:
        srs = SpatialReference(srid)
    except (SRSException, GDALException, ValueError, TypeError):
        return None
    west, south, east, north = c_double(), c_double(), c_double(), c_double()
    name = c_char_p()
    known = _area_of_use(srs.ptr, byref(west), byref(south), byref(east), byref(north), byref(name))
    if not known:
        return None
    w, s, e, n = west.value, south.value, east.value, north.value
    if e < w:  # an area across the antimeridian: any longitude
        w, e = -180.0, 180.0
    if srs.geographic:
        return _widened((w, s, e, n), clamp=(-180.0, -90.0, 180.0, 90.0))
    edge = [
        *((w + (e - w) * i / _EDGE_POINTS, s) for i in range(_EDGE_POINTS)),
        *((e, s + (n - s) * i / _EDGE_POINTS) for i in range(_EDGE_POINTS)),
        *((e - (e - w) * i / _EDGE_POINTS, n) for i in range(_EDGE_POINTS)),
        *((w, n - (n - s) * i / _EDGE_POINTS) for i in range(_EDGE_POINTS)),
        ((w + e) / 2, (s + n) / 2),
    ]
    wgs84 = SpatialReference(STORAGE_SRID)
    points = OGRGeometry(
        "MULTIPOINT (" + ", ".join(f"({lon!r} {lat!r})" for lon, lat in edge) + ")", srs=wgs84
    )
    try:
        # Degrees within the area of use are safe for PROJ: this is where the CRS is defined.
        points.transform(CoordTransform(wgs84, srs))
    except GDALException:
        return None
    coords = cast(tuple[tuple[float, ...], ...], points.tuple)  # type: ignore[attr-defined]
    finite = [(x, y) for x, y, *_z in coords if math.isfinite(x) and math.isfinite(y)]
    xs = [x for x, _y in finite]
    ys = [y for _x, y in finite]
    if not xs:
        return None
    return _widened((min(xs), min(ys), max(xs), max(ys)), clamp=None)


def _widened(
    box: tuple[float, float, float, float], *, clamp: tuple[float, float, float, float] | None
) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = box
    dx = (xmax - xmin) * AREA_OF_USE_MARGIN
    dy = (ymax - ymin) * AREA_OF_USE_MARGIN
    xmin, ymin, xmax, ymax = xmin - dx, ymin - dy, xmax + dx, ymax + dy
    if clamp is not None:
        xmin, ymin = max(xmin, clamp[0]), max(ymin, clamp[1])
        xmax, ymax = min(xmax, clamp[2]), min(ymax, clamp[3])
    return xmin, ymin, xmax, ymax
