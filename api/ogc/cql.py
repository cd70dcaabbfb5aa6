"""CQL2 filters (OGC API - Features Part 3) as Django Q objects, over a collection's queryables.

pygeofilter parses CQL2-text and CQL2-JSON into its tree; this module walks the tree and builds
Q objects from the queryables' columns only. Names are looked up, never pasted: a name that is
not a queryable is refused, and every value becomes a query parameter of Django's SQL. Values
are checked against the queryable's type first (PostgreSQL would answer a wrong type, a NUL byte
or an integer beyond bigint with an error, i.e. a 500), and every geometry passes
`geo.validation.check_geometry` before it is transformed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from lark.exceptions import LarkError
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from api.ogc.collections import Crs, Queryable
from geo.crs import STORAGE_SRID
from geo.validation import check_geometry

# `cql-text` is the name of the text encoding in the drafts of Part 3 that GDAL 3.6 (Debian 12)
# still sends; its requests are CQL2-text.
TEXT_LANGUAGES = ("cql2-text", "cql-text")
JSON_LANGUAGES = ("cql2-json",)
FILTER_LANGUAGES = (*TEXT_LANGUAGES, *JSON_LANGUAGES)
# A filter is typed by hand or generated from a few conditions; longer ones only cost the parser.
MAX_FILTER_CHARS = 8000
_BIGINT = 2**63 - 1


class FilterError(Exception):
    """A filter the API refuses; the message says why, for people."""


def parse_filter(text: str, *, language: str, queryables: Mapping[str, Queryable], crs: Crs) -> Q:
    """The filter `text` in `language` as a Q over `queryables`; geometries are in `crs`."""
    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(
            _("The filter is longer than %(max)d characters.") % {"max": MAX_FILTER_CHARS}
        )
    if not text.strip():
        raise FilterError(_("The filter is empty."))
    try:
        if language in JSON_LANGUAGES:
            tree = parse_cql2_json(_bbox_literals_as_polygons(json.loads(text)))
        else:
            tree = parse_cql2_text(text)
    except LarkError as error:
        # The parser's own words say where it stopped and what it expected there.
        raise FilterError(
            _("The filter is not valid CQL2 text: %(reason)s") % {"reason": _first_lines(error)}
        ) from None
    except RecursionError:
        raise FilterError(_("The filter is nested too deeply.")) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        # pygeofilter's JSON reader raises these on a document of the wrong shape.
        raise FilterError(
            _("The filter is not valid CQL2 JSON: %(reason)s") % {"reason": error}
        ) from None
    try:
        return _Translator(queryables, crs).condition(tree)
    except RecursionError:
        raise FilterError(_("The filter is nested too deeply.")) from None


def _bbox_literals_as_polygons(node: Any) -> Any:
    """CQL2-JSON's `{"bbox": [minx, miny, maxx, maxy]}` as a GeoJSON polygon.

    pygeofilter 0.3 reads the four numbers in the order of its own Envelope (x1, x2, y1, y2),
    i.e. the wrong box; a polygon it reads as it is.
    """
    if isinstance(node, list):
        return [_bbox_literals_as_polygons(item) for item in node]
    if not isinstance(node, dict):
        return node
    box = node.get("bbox")
    if set(node) == {"bbox"} and isinstance(box, list) and len(box) in (4, 6):
        west, south, east, north = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        return {"type": "Polygon", "coordinates": [ring]}
    return {key: _bbox_literals_as_polygons(value) for key, value in node.items()}


def _first_lines(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines[:8])


_COMPARISONS: dict[type, str] = {
    ast.Equal: "exact",
    ast.LessThan: "lt",
    ast.LessEqual: "lte",
    ast.GreaterThan: "gt",
    ast.GreaterEqual: "gte",
}
_SPATIAL: dict[type, str] = {
    ast.GeometryIntersects: "intersects",
    ast.GeometryDisjoint: "disjoint",
    ast.GeometryContains: "contains",
    ast.GeometryWithin: "within",
    ast.GeometryTouches: "touches",
    ast.GeometryCrosses: "crosses",
    ast.GeometryOverlaps: "overlaps",
    ast.GeometryEquals: "equals",
}


class _Translator:
    def __init__(self, queryables: Mapping[str, Queryable], crs: Crs) -> None:
        self.queryables = queryables
        self.crs = crs

    # Conditions ------------------------------------------------------------------------------

    def condition(self, node: Any) -> Q:
        handlers: list[tuple[type | tuple[type, ...], Callable[[Any], Q]]] = [
            (ast.And, lambda n: self.condition(n.lhs) & self.condition(n.rhs)),
            (ast.Or, lambda n: self.condition(n.lhs) | self.condition(n.rhs)),
            (ast.Not, lambda n: ~self.condition(n.sub_node)),
            (ast.NotEqual, self._not_equal),
            (tuple(_COMPARISONS), self._comparison),
            (ast.Between, self._between),
            (ast.Like, self._like),
            (ast.In, self._in),
            (ast.IsNull, self._is_null),
            (tuple(_SPATIAL), self._spatial),
            (ast.BBox, self._bbox),
            (ast.TemporalPredicate, self._temporal),
        ]
        for kinds, handler in handlers:
            if isinstance(node, kinds):
                return handler(node)
        if isinstance(node, bool):
            # A bare `TRUE`/`FALSE` is a condition of its own in CQL2.
            return Q(pk__isnull=False) if node else Q(pk__isnull=True)
        raise FilterError(
            _("This filter uses %(what)s, which this API does not support.")
            % {"what": _describe(node)}
        )

    def _comparison(self, node: Any) -> Q:
        name, queryable = self._property(node.lhs, scalar=True)
        value = self._value(node.rhs, name, queryable)
        return Q(**{f"{queryable.column}__{_COMPARISONS[type(node)]}": value})

    def _not_equal(self, node: Any) -> Q:
        # `a <> 1` is unknown where a is null, so such features are not selected (CQL2 and SQL
        # agree); Django's negation alone would include them.
        name, queryable = self._property(node.lhs, scalar=True)
        value = self._value(node.rhs, name, queryable)
        return ~Q(**{queryable.column: value}) & Q(**{f"{queryable.column}__isnull": False})

    def _between(self, node: Any) -> Q:
        name, queryable = self._property(node.lhs, scalar=True)
        if queryable.kind not in ("integer", "number", "date-time"):
            raise FilterError(
                _("BETWEEN compares numbers or times; %(name)s is %(kind)s.")
                % {"name": name, "kind": queryable.kind}
            )
        low = self._value(node.low, name, queryable)
        high = self._value(node.high, name, queryable)
        found = Q(**{f"{queryable.column}__range": (low, high)})
        return _negated(found, queryable) if node.not_ else found

    def _like(self, node: Any) -> Q:
        name, queryable = self._property(node.lhs, scalar=True)
        if queryable.kind != "string":
            raise FilterError(
                _("LIKE matches text; %(name)s is %(kind)s.")
                % {"name": name, "kind": queryable.kind}
            )
        pattern = node.pattern
        _check_text(pattern)
        # The pattern becomes an anchored regular expression for PostgreSQL's `~`, passed as a
        # parameter: `%` any characters, `_` one character, `\\` escapes the next one.
        regex = ["^"]
        escaped = False
        for char in pattern:
            if escaped:
                regex.append(re.escape(char))
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "%":
                regex.append(".*")
            elif char == "_":
                regex.append(".")
            else:
                regex.append(re.escape(char))
        regex.append("$")
        lookup = "iregex" if node.nocase else "regex"
        found = Q(**{f"{queryable.column}__{lookup}": "".join(regex)})
        return _negated(found, queryable) if node.not_ else found

    def _in(self, node: Any) -> Q:
        name, queryable = self._property(node.lhs, scalar=True)
        if not node.sub_nodes:
            raise FilterError(_("IN needs at least one value."))
        options = [self._value(option, name, queryable) for option in node.sub_nodes]
        found = Q(**{f"{queryable.column}__in": options})
        return _negated(found, queryable) if node.not_ else found

    def _is_null(self, node: Any) -> Q:
        _name, queryable = self._property(node.lhs, scalar=False)
        return Q(**{f"{queryable.column}__isnull": not node.not_})

    def _spatial(self, node: Any) -> Q:
        lhs, rhs = node.lhs, node.rhs
        if isinstance(lhs, values.Geometry | values.Envelope) and isinstance(rhs, ast.Attribute):
            # S_INTERSECTS(POINT(...), geometry) names the same relation for the symmetric
            # predicates; the others are refused rather than silently turned around.
            if type(node) not in (ast.GeometryIntersects, ast.GeometryDisjoint):
                raise FilterError(_("Name the geometry property first, then the literal."))
            lhs, rhs = rhs, lhs
        _name, queryable = self._property(lhs, scalar=False)
        if queryable.kind != "geometry":
            raise FilterError(
                _("Spatial functions compare geometries; %(name)s is not one.") % {"name": _name}
            )
        geometry = self._geometry(rhs)
        return Q(**{f"{queryable.column}__{_SPATIAL[type(node)]}": geometry})

    def _bbox(self, node: Any) -> Q:
        _name, queryable = self._property(node.lhs, scalar=False)
        if queryable.kind != "geometry":
            raise FilterError(
                _("Spatial functions compare geometries; %(name)s is not one.") % {"name": _name}
            )
        box = values.Envelope(node.minx, node.maxx, node.miny, node.maxy)
        return Q(**{f"{queryable.column}__intersects": self._geometry(box)})

    def _temporal(self, node: Any) -> Q:
        name, queryable = self._property(node.lhs, scalar=True)
        if queryable.kind != "date-time":
            raise FilterError(
                _("Temporal functions compare times; %(name)s is %(kind)s.")
                % {"name": name, "kind": queryable.kind}
            )
        column = queryable.column
        rhs = node.rhs
        if isinstance(rhs, values.Interval):
            start = None if rhs.start is None else _instant(rhs.start, end=False)
            end = None if rhs.end is None else _instant(rhs.end, end=True)
            inside = Q()
            if start is not None:
                inside &= Q(**{f"{column}__gte": start})
            if end is not None:
                inside &= Q(**{f"{column}__lt": end})
            # pygeofilter reads T_INTERSECTS as TimeOverlaps: an instant inside the interval.
            if isinstance(node, ast.TimeDuring | ast.TimeOverlaps):
                return inside & Q(**{f"{column}__isnull": False})
            if isinstance(node, ast.TimeDisjoint):
                return _negated(inside, queryable)
            if isinstance(node, ast.TimeBefore) and start is not None:
                return Q(**{f"{column}__lt": start})
            if isinstance(node, ast.TimeAfter) and end is not None:
                return Q(**{f"{column}__gte": end})
        elif isinstance(rhs, datetime | date):
            start, end = _instant(rhs, end=False), _instant(rhs, end=True)
            moment = Q(**{f"{column}__gte": start, f"{column}__lt": end})
            if isinstance(node, ast.TimeEquals | ast.TimeOverlaps):
                return moment
            if isinstance(node, ast.TimeDisjoint):
                return _negated(moment, queryable)
            if isinstance(node, ast.TimeBefore):
                return Q(**{f"{column}__lt": start})
            if isinstance(node, ast.TimeAfter):
                return Q(**{f"{column}__gte": end})
        raise FilterError(
            _("This filter uses %(what)s, which this API does not support.")
            % {"what": _describe(node)}
        )

    # Operands --------------------------------------------------------------------------------

    def _property(self, node: Any, *, scalar: bool) -> tuple[str, Queryable]:
        if not isinstance(node, ast.Attribute):
            raise FilterError(
                _("The left side of each comparison must be a queryable property, not %(what)s.")
                % {"what": _describe(node)}
            )
        queryable = self.queryables.get(node.name)
        if queryable is None:
            raise FilterError(
                _("%(name)r is not a queryable of this collection; the queryables are: %(names)s.")
                % {"name": node.name, "names": ", ".join(self.queryables)}
            )
        if scalar and queryable.kind == "geometry":
            raise FilterError(
                _("%(name)s is a geometry: compare it with a spatial function (S_INTERSECTS).")
                % {"name": node.name}
            )
        return node.name, queryable

    def _value(self, node: Any, name: str, queryable: Queryable) -> Any:
        """A literal of the queryable's type, ready to be a query parameter."""
        kind = queryable.kind
        wrong = FilterError(
            _("%(name)s is compared with %(value)s, but its values are %(kind)s.")
            % {"name": name, "value": _describe(node), "kind": kind}
        )
        if isinstance(node, ast.Node | values.Geometry | values.Envelope | values.Interval):
            raise FilterError(
                _("The right side of a comparison must be a literal value, not %(what)s.")
                % {"what": _describe(node)}
            )
        if kind == "boolean":
            if not isinstance(node, bool):
                raise wrong
            return node
        if kind in ("integer", "number"):
            if isinstance(node, bool) or not isinstance(node, int | float):
                raise wrong
            if isinstance(node, float) and not math.isfinite(node):
                raise wrong
            if kind == "integer" and isinstance(node, float):
                if not node.is_integer():
                    raise wrong
                node = int(node)
            if abs(node) > _BIGINT:
                raise FilterError(
                    _("%(value)s is beyond the range of %(name)s.") % {"value": node, "name": name}
                )
            return node
        if kind == "date-time":
            if isinstance(node, str):
                # GDAL sends times as plain strings ('2024-05-01T00:00:00Z').
                parsed = _parse_moment(node)
                if parsed is None:
                    raise wrong
                return parsed
            if isinstance(node, datetime | date):
                return _instant(node, end=False)
            raise wrong
        if not isinstance(node, str):
            raise wrong
        _check_text(node)
        return node

    def _geometry(self, node: Any) -> GEOSGeometry:
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            # CQL2-text's BBOX(minx, miny, maxx, maxy) literal, read by pygeofilter as a call.
            node = _bbox_literal(node.arguments)
        if not isinstance(node, values.Geometry | values.Envelope):
            raise FilterError(
                _("A spatial function needs a geometry literal (WKT), not %(what)s.")
                % {"what": _describe(node)}
            )
        shape = dict(node.__geo_interface__)
        if "crs" in shape:
            raise FilterError(_("Name the CRS of the filter's geometries with filter-crs."))
        try:
            geometry = GEOSGeometry(json.dumps(_plain(shape)))
        except (GEOSException, GDALException, ValueError, TypeError):
            raise FilterError(_("The filter's geometry is not valid.")) from None
        if self.crs.lat_first:
            # The CRS's official order (EPSG:4326: lat, lon) to PostGIS's x, y.
            geometry = _flipped(geometry)
        geometry.srid = self.crs.srid
        try:
            # Absurd numbers would keep PROJ busy for seconds: checked before the transform.
            check_geometry(geometry, field="filter")
        except ValidationError as error:
            raise FilterError(" ".join(error.messages)) from None
        if geometry.srid != STORAGE_SRID:
            try:
                geometry.transform(STORAGE_SRID)
            except (GDALException, GEOSException):
                raise FilterError(_("The filter's geometry cannot be transformed.")) from None
        return geometry


def _bbox_literal(arguments: list[Any]) -> values.Geometry:
    numbers = [a for a in arguments if isinstance(a, int | float) and not isinstance(a, bool)]
    if len(numbers) != len(arguments) or len(numbers) not in (4, 6):
        raise FilterError(_("BBOX needs 4 (or 6) numbers."))
    converted = _bbox_literals_as_polygons({"bbox": numbers})
    return values.Geometry(converted)


def _negated(found: Q, queryable: Queryable) -> Q:
    """NOT of a predicate: features whose value is null stay unknown, i.e. not selected."""
    return ~found & Q(**{f"{queryable.column}__isnull": False})


def _check_text(value: str) -> None:
    # PostgreSQL cannot even receive a NUL byte; no value we store holds control characters.
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise FilterError(_("Text values in a filter must not contain control characters."))


def _parse_moment(raw: str) -> datetime | None:
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _instant(value: date | datetime | timedelta, *, end: bool) -> datetime:
    """A date covers its whole day (UTC): its start, or the start of the next day for `end`."""
    if isinstance(value, timedelta):
        raise FilterError(_("Durations are not supported in time intervals."))
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment + timedelta(microseconds=1) if end else moment
    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _flipped(geometry: GEOSGeometry) -> GEOSGeometry:
    def swap(coords: Any) -> Any:
        if coords and isinstance(coords[0], int | float):
            return [coords[1], coords[0], *coords[2:]]
        return [swap(part) for part in coords]

    shape = json.loads(geometry.json)
    if shape["type"] == "GeometryCollection":
        raise FilterError(_("Geometry collections are not supported in filters."))
    shape["coordinates"] = swap(shape["coordinates"])
    return GEOSGeometry(json.dumps(shape))


def _plain(value: Any) -> Any:
    """Tuples (pygeofilter's coordinates) as lists, for json.dumps."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _describe(node: Any) -> str:
    if isinstance(node, ast.Attribute):
        return _("the property %(name)r") % {"name": node.name}
    if isinstance(node, ast.Function):
        return _("the function %(name)s()") % {"name": node.name}
    if isinstance(node, ast.Node):
        return type(node).__name__
    if isinstance(node, values.Geometry | values.Envelope):
        return _("a geometry")
    return repr(node)


def parse_sortby(raw: str, queryables: Mapping[str, Queryable]) -> list[OrderBy]:
    """`sortby=+title,-vote_count`: the order, then the id, so that pages stay stable."""
    order: list[OrderBy] = []
    for part in raw.split(","):
        name = part.strip()
        descending = name.startswith("-")
        name = name.lstrip("+-").strip()
        queryable = queryables.get(name)
        if queryable is None or queryable.kind == "geometry":
            sortable = [key for key, q in queryables.items() if q.kind != "geometry"]
            raise FilterError(
                _("sortby: %(name)r is not a property to sort by; use one of: %(names)s.")
                % {"name": name, "names": ", ".join(sortable)}
            )
        expression = F(queryable.column)
        order.append(
            expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
        )
    return order
