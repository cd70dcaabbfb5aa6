"""Query parameters of OGC API - Features requests, parsed strictly into typed values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.expressions import OrderBy
from django.http import QueryDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from api.ogc.collections import CRS84, SUPPORTED_CRS, Collection, Crs, crs_by_name
from api.ogc.cql import FILTER_LANGUAGES, FilterError, parse_filter, parse_sortby
from geo.crs import STORAGE_SRID
from geo.validation import check_geometry

DEFAULT_LIMIT = 100
MAX_LIMIT = 10000
# Paging deeper than this is better done with a bbox or an export.
MAX_OFFSET = 10_000_000
# Each edge of a projected bbox becomes this many segments before it is transformed to
# degrees, so the curved edges stay within millimetres of the true box.
BBOX_EDGE_SEGMENTS = 32

FORMATS = ("json", "html")
COMMON_PARAMS = frozenset({"f"})
ITEMS_PARAMS = frozenset(
    {
        "f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime",
        "filter", "filter-lang", "filter-crs", "sortby", "properties", "skipGeometry",
    }
)  # fmt: skip
ITEM_PARAMS = frozenset({"f", "crs"})


class OgcError(Exception):
    """A request the API refuses: HTTP status, OGC exception code, and a sentence for people."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


def invalid(description: str) -> OgcError:
    return OgcError(400, "InvalidParameterValue", description)


def not_found(description: str) -> OgcError:
    return OgcError(404, "NotFound", description)


@dataclass(frozen=True)
class ItemsQuery:
    limit: int
    offset: int
    crs: Crs
    bbox: (
        Polygon | MultiPolygon | None
    )  # in EPSG:4326 (lon/lat), ready for an index-backed intersects
    interval: tuple[datetime | None, datetime | None] | None  # [start, end), open ends None
    filters: dict[str, str]
    # CQL2 `filter` as a Q over the queryables; `sortby` before the id; `properties` to show.
    condition: Q | None = None
    order: tuple[OrderBy, ...] = ()
    properties: tuple[str, ...] | None = None
    skip_geometry: bool = False


def check_known(query: QueryDict, allowed: frozenset[str] | set[str]) -> None:
    """Unknown parameters are refused (OGC API - Features, /req/core/query-param-unknown)."""
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        raise invalid(
            _("Unknown query parameter(s): %(names)s. Allowed: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
        )


def parse_format(query: QueryDict) -> str | None:
    value = query.get("f")
    if value is None:
        return None
    if value not in FORMATS:
        raise invalid(
            _("f must be one of %(formats)s, not %(value)r.")
            % {"formats": ", ".join(FORMATS), "value": value}
        )
    return value


def parse_crs(query: QueryDict, name: str = "crs") -> Crs:
    value = query.get(name)
    if value is None:
        return CRS84
    crs = crs_by_name(value)
    if crs is None:
        raise invalid(
            _("%(name)s %(value)r is not supported; use one of: %(supported)s.")
            % {
                "name": name,
                "value": value,
                "supported": ", ".join(c.uri for c in SUPPORTED_CRS),
            }
        )
    return crs


def parse_items_query(query: QueryDict, collection: Collection) -> ItemsQuery:
    check_known(query, ITEMS_PARAMS | set(collection.filters))
    parse_format(query)
    crs = parse_crs(query)
    bbox_crs = parse_crs(query, "bbox-crs")
    if "bbox-crs" in query and "bbox" not in query:
        raise invalid(_("bbox-crs needs a bbox."))
    filters = {}
    for name, lookup in collection.filters.items():
        value = query.get(name)
        if value is not None:
            if not value.strip():
                raise invalid(_("%(name)s must not be empty.") % {"name": name})
            # A NUL byte cannot even be sent to PostgreSQL; no name contains control characters.
            if any(ord(char) < 32 or ord(char) == 127 for char in value):
                raise invalid(_("%(name)s must not contain control characters.") % {"name": name})
            filters[lookup] = value.strip()
    interval = None
    if "datetime" in query:
        # Checked everywhere; on a collection without time it selects every feature (Part 1
        # filters by the features' time, and these have none to compare).
        interval = parse_interval(query.get("datetime", ""))
        if collection.temporal_field is None:
            interval = None
    condition, order = _parse_filter_and_order(query, collection)
    return ItemsQuery(
        limit=_parse_int(query, "limit", DEFAULT_LIMIT, minimum=1, maximum=None),
        offset=_parse_int(query, "offset", 0, minimum=0, maximum=MAX_OFFSET),
        crs=crs,
        bbox=parse_bbox(query.get("bbox", ""), bbox_crs) if "bbox" in query else None,
        interval=interval,
        filters=filters,
        condition=condition,
        order=order,
        properties=parse_properties(query, collection),
        skip_geometry=_parse_bool(query, "skipGeometry"),
    )


def _parse_filter_and_order(
    query: QueryDict, collection: Collection
) -> tuple[Q | None, tuple[OrderBy, ...]]:
    queryables = collection.queryables()
    language = query.get("filter-lang", "cql2-text")
    if language not in FILTER_LANGUAGES:
        raise invalid(
            _("filter-lang must be one of %(languages)s, not %(value)r.")
            % {"languages": ", ".join(FILTER_LANGUAGES), "value": language}
        )
    for name in ("filter-lang", "filter-crs"):
        if name in query and "filter" not in query:
            raise invalid(_("%(name)s needs a filter.") % {"name": name})
    condition = None
    try:
        if "filter" in query:
            condition = parse_filter(
                query.get("filter", ""),
                language=language,
                queryables=queryables,
                crs=parse_crs(query, "filter-crs"),
            )
        order = (
            tuple(parse_sortby(query.get("sortby", ""), queryables)) if "sortby" in query else ()
        )
    except FilterError as error:
        raise invalid(str(error)) from None
    return condition, order


def parse_properties(query: QueryDict, collection: Collection) -> tuple[str, ...] | None:
    """`properties=title,status`: only these properties in each feature, in this order."""
    if "properties" not in query:
        return None
    names = tuple(name.strip() for name in query.get("properties", "").split(",") if name.strip())
    unknown = [name for name in names if name not in collection.spec.properties]
    if unknown:
        raise invalid(
            _("properties: %(names)s is not a property of this collection; they are: %(all)s.")
            % {
                "names": ", ".join(repr(n) for n in unknown),
                "all": ", ".join(collection.spec.properties),
            }
        )
    return tuple(dict.fromkeys(names))


def _parse_bool(query: QueryDict, name: str) -> bool:
    raw = query.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise invalid(
            _("%(name)s must be true or false, not %(value)r.") % {"name": name, "value": raw}
        )
    return raw == "true"


def _parse_int(
    query: QueryDict, name: str, default: int, *, minimum: int, maximum: int | None
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise invalid(
            _("%(name)s must be a whole number, not %(value)r.") % {"name": name, "value": raw}
        ) from None
    if value < minimum:
        raise invalid(
            _("%(name)s must be at least %(minimum)d.") % {"name": name, "minimum": minimum}
        )
    if maximum is not None and value > maximum:
        raise invalid(
            _("%(name)s must be at most %(maximum)d.") % {"name": name, "maximum": maximum}
        )
    # A limit above the maximum is not an error: the server serves its maximum page size
    # (OGC API - Features, /req/core/fc-limit-response-1).
    return min(value, MAX_LIMIT) if name == "limit" else value


def parse_bbox(raw: str, crs: Crs) -> Polygon | MultiPolygon:
    """A bbox in `crs` axis order as a polygon in EPSG:4326 (x=lon, y=lat).

    In a geographic CRS a west edge east of the east edge is a box across the antimeridian
    (OGC API - Features, /req/core/fc-bbox-definition): two boxes, one on either side.
    """
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise invalid(
            _("bbox needs 4 numbers (or 6 with heights), separated by commas; got %(n)d.")
            % {"n": len(parts)}
        )
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise invalid(_("bbox must consist of numbers, not %(value)r.") % {"value": raw}) from None
    if not all(math.isfinite(n) for n in numbers):
        raise invalid(_("bbox must consist of finite numbers."))
    if len(numbers) == 6:
        # Heights do not matter for 2D features.
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    first_min, second_min, first_max, second_max = numbers
    if crs.lat_first:
        xmin, ymin, xmax, ymax = second_min, first_min, second_max, first_max
    else:
        xmin, ymin, xmax, ymax = first_min, second_min, first_max, second_max
    across_antimeridian = crs.geographic and xmin > xmax
    if (xmin > xmax and not across_antimeridian) or ymin > ymax:
        raise invalid(_("bbox minimum must not exceed its maximum on either axis."))
    if crs.geographic:
        if not all(-180 <= x <= 180 for x in (xmin, xmax)) or ymin < -90 or ymax > 90:
            raise invalid(
                _("bbox is outside the range of longitude (-180..180) and latitude (-90..90).")
            )
        if across_antimeridian:
            box: Polygon | MultiPolygon = MultiPolygon(
                Polygon.from_bbox((xmin, ymin, 180, ymax)),
                Polygon.from_bbox((-180, ymin, xmax, ymax)),
            )
        else:
            box = Polygon.from_bbox((xmin, ymin, xmax, ymax))
        box.srid = STORAGE_SRID
        return box
    return _projected_bbox(xmin, ymin, xmax, ymax, crs)


def _projected_bbox(xmin: float, ymin: float, xmax: float, ymax: float, crs: Crs) -> Polygon:
    steps = BBOX_EDGE_SEGMENTS
    ring: list[tuple[float, float]] = []
    corners = [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax)]
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True):
        ring.extend((x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps) for i in range(steps))
    ring.append(ring[0])
    polygon = Polygon(ring, srid=crs.srid)
    try:
        # Absurd numbers would keep PROJ busy for seconds: checked before the transform.
        check_geometry(polygon, field="bbox")
    except ValidationError as exc:
        raise invalid(" ".join(exc.messages)) from None
    try:
        polygon.transform(STORAGE_SRID)
    except (GDALException, GEOSException):
        raise invalid(_("bbox cannot be transformed from %(crs)s.") % {"crs": crs.uri}) from None
    lon_lat = polygon.coords[0]
    if not all(
        math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90
        for x, y in lon_lat
    ):
        raise invalid(_("bbox lies outside the area where %(crs)s is defined.") % {"crs": crs.uri})
    return polygon


def parse_interval(raw: str) -> tuple[datetime | None, datetime | None]:
    """RFC 3339 instant or interval (`a/b`, `../b`, `a/..`) as a half-open [start, end)."""
    if "/" not in raw:
        start, end = _moment(raw, end=False), _moment(raw, end=True)
        if start is None or end is None:
            raise invalid(_("datetime %(value)r is not an RFC 3339 date or time.") % {"value": raw})
        return start, end
    parts = raw.split("/")
    if len(parts) != 2 or parts == ["..", ".."] or parts == ["", ""]:
        raise invalid(_("datetime %(value)r is not a valid interval.") % {"value": raw})
    start = None if parts[0] in ("", "..") else _moment(parts[0], end=False)
    end = None if parts[1] in ("", "..") else _moment(parts[1], end=True)
    if (start is None and parts[0] not in ("", "..")) or (
        end is None and parts[1] not in ("", "..")
    ):
        raise invalid(_("datetime %(value)r is not an RFC 3339 date or time.") % {"value": raw})
    if start is not None and end is not None and start >= end:
        raise invalid(_("datetime: the interval ends before it starts."))
    return start, end


def _moment(raw: str, *, end: bool) -> datetime | None:
    """A date-time (naive ones are read as UTC); a date covers its whole day (UTC)."""
    try:
        # A bare date first: parse_datetime would read it as midnight.
        day: date | None = parse_date(raw) if len(raw) == 10 else None
        if day is not None:
            start = datetime.combine(day, time.min, tzinfo=UTC)
            return _later(start, timedelta(days=1)) if end else start
        moment = parse_datetime(raw)
    except ValueError:
        return None
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # An instant is a closed interval of one moment; keep [start, end) half-open.
    return _later(moment, timedelta(microseconds=1)) if end else moment


def _later(moment: datetime, step: timedelta) -> datetime:
    """`moment + step`; at the end of Python's calendar (9999-12-31), its last instant."""
    try:
        return moment + step
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)
