"""Spatial analysis for planners in PostGIS: per district, near a place, in a polygon, density.

Every function takes a queryset (already limited to what the viewer may see and to the filters)
and wraps its SQL, so the database does the spatial and aggregate work in one query. Metric
work (distances, grid cells) happens in EPSG:25832 on `ST_Transform(geometry, 25832)`; the
proposals table has a GiST index on exactly that expression, so `ST_DWithin` is index-backed
(a functional index rather than a geography column: the distances stay in the official CRS).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Distance, Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db import connections
from django.db.models import F, QuerySet, Value

from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.models import Area

# Above this a "duplicate" would just be two ideas in the same part of town.
MAX_DUPLICATE_DISTANCE_M = 500
MAX_DISTANCE_M = 20_000
DUPLICATE_LIMIT = 500


@dataclass(frozen=True)
class DistrictCount:
    area_id: int
    slug: str
    name: str
    population: int | None
    count: int
    weight: int  # e.g. the votes of the counted proposals
    per_1000: float | None  # count per 1,000 residents; None without a population
    geometry: str | None  # GeoJSON of the district, when asked for


@dataclass(frozen=True)
class DistrictTable:
    rows: list[DistrictCount]
    total: int
    outside: int  # items in no district (e.g. outside the city's districts)


def district_counts(
    items: QuerySet,
    *,
    geometry: str = "location",
    weight: str | None = None,
    with_geometry: bool = False,
) -> DistrictTable:
    """Items per district, per 1,000 residents, and the sum of `weight`, in one query.

    A point on the border of two districts counts once, for the district with the lower id:
    the districts' sum then equals the number of items inside them.
    """
    inner_sql, params = _inner(items, geometry, weight)
    geojson = "ST_AsGeoJSON(a.geometry, 6)" if with_geometry else "NULL"
    area = Area._meta.db_table
    sql = f"""
        WITH items AS ({inner_sql}),
        assigned AS (
            SELECT DISTINCT ON (t.id) t.id, t.w, a.id AS area_id
            FROM items AS t JOIN {area} AS a
              ON a.kind = %s AND ST_Covers(a.geometry, t.geom)
            ORDER BY t.id, a.id
        )
        SELECT a.id, a.slug, a.name, a.population, count(s.id), COALESCE(sum(s.w), 0),
               CASE WHEN a.population > 0
                    THEN round(count(s.id) * 1000.0 / a.population, 2) END,
               {geojson},
               (SELECT count(*) FROM items)
        FROM {area} AS a LEFT JOIN assigned AS s ON s.area_id = a.id
        WHERE a.kind = %s
        GROUP BY a.id
        ORDER BY a.name, a.id
    """  # noqa: S608 - table names come from model meta, values are parameters
    with connections[items.db].cursor() as cursor:  # a read replica if routed there
        cursor.execute(sql, [*params, Area.Kind.DISTRICT, Area.Kind.DISTRICT])
        fetched = cursor.fetchall()
    rows = [
        DistrictCount(
            area_id=r[0],
            slug=r[1],
            name=r[2],
            population=r[3],
            count=r[4],
            weight=int(r[5]),
            per_1000=float(r[6]) if isinstance(r[6], Decimal) else None,
            geometry=r[7],
        )
        for r in fetched
    ]
    total = fetched[0][8] if fetched else items.count()
    return DistrictTable(rows=rows, total=total, outside=total - sum(r.count for r in rows))


def within_distance(
    items: QuerySet, place: GEOSGeometry, metres: float, *, geometry: str = "location"
) -> QuerySet:
    """Items within `metres` of a place (a point, or a site's outline), nearest first.

    Both sides are transformed to EPSG:25832 by PostGIS, so the distance is in metres on the
    official grid; `distance_m` is annotated for the table.
    """
    metric = Transform(geometry, METRIC_SRID)
    target = Transform(
        Value(place, output_field=GeometryField(srid=place.srid or STORAGE_SRID)), METRIC_SRID
    )
    return (
        items.annotate(_metric=metric)
        .filter(_metric__dwithin=(target, metres))
        .annotate(distance_m=Distance(F("_metric"), target))
        .order_by("distance_m", "pk")
    )


def within_polygon(items: QuerySet, polygon: GEOSGeometry, *, geometry: str = "location") -> Any:
    """Items inside (or on the edge of) a polygon drawn or typed by the planner."""
    return items.filter(**{f"{geometry}__coveredby": polygon})


@dataclass(frozen=True)
class HeatCell:
    lat: float
    lon: float
    weight: int


def heat_cells(
    items: QuerySet, *, geometry: str = "location", weight: str | None = None, cell_m: int = 50
) -> list[HeatCell]:
    """Density: items (or their `weight`) summed on a metric grid of `cell_m` metres.

    The grid keeps the heat map's data small however many items there are.
    """
    inner_sql, params = _inner(items, geometry, weight)
    sql = f"""
        SELECT ST_Y(c), ST_X(c), w FROM (
            SELECT ST_Transform(cell, {STORAGE_SRID}) AS c, w FROM (
                SELECT ST_SnapToGrid(ST_Transform(t.geom, {METRIC_SRID}), %s) AS cell,
                       sum(t.w) AS w
                FROM ({inner_sql}) AS t
                GROUP BY 1
            ) AS g WHERE w > 0
        ) AS h
        ORDER BY w DESC, 1, 2
    """  # noqa: S608
    with connections[items.db].cursor() as cursor:  # a read replica if routed there
        cursor.execute(sql, [float(cell_m), *params])
        return [HeatCell(lat=y, lon=x, weight=int(w)) for y, x, w in cursor.fetchall()]


@dataclass(frozen=True)
class DuplicatePair:
    first_id: int
    first_title: str
    second_id: int
    second_title: str
    distance_m: float
    similarity: float


def duplicate_candidates(
    items: QuerySet,
    *,
    max_distance_m: float = 50,
    min_similarity: float = 0.4,
    group_field: str = "project_id",
    title_field: str = "title",
    geometry: str = "location",
) -> list[DuplicatePair]:
    """Pairs of items of the same group close to each other with similar titles.

    Closeness is `ST_DWithin` in EPSG:25832 (the functional index serves the self-join);
    similarity is pg_trgm's trigram `similarity()` of the lower-cased titles (0..1).
    """
    model = items.model
    table = model._meta.db_table
    geom_col = model._meta.get_field(geometry).column
    title_col = model._meta.get_field(title_field).column
    group_col = model._meta.get_field(group_field.removesuffix("_id")).column
    ids_sql, ids_params = items.values("pk").query.sql_with_params()
    a_geom = f"ST_Transform(a.{geom_col}, {METRIC_SRID})"
    b_geom = f"ST_Transform(b.{geom_col}, {METRIC_SRID})"
    sim = f"similarity(lower(a.{title_col}), lower(b.{title_col}))"
    sql = f"""
        WITH ids AS ({ids_sql})
        SELECT a.id, a.{title_col}, b.id, b.{title_col},
               ST_Distance({a_geom}, {b_geom}), {sim}
        FROM {table} AS a JOIN {table} AS b
          ON b.{group_col} = a.{group_col} AND b.id > a.id
         AND ST_DWithin({a_geom}, {b_geom}, %s)
        WHERE a.id IN (SELECT * FROM ids) AND b.id IN (SELECT * FROM ids)
          AND {sim} >= %s
        ORDER BY 6 DESC, 5, a.id, b.id
        LIMIT {DUPLICATE_LIMIT}
    """  # noqa: S608
    with connections[items.db].cursor() as cursor:  # a read replica if routed there
        cursor.execute(sql, [*ids_params, float(max_distance_m), float(min_similarity)])
        return [
            DuplicatePair(
                first_id=r[0],
                first_title=r[1],
                second_id=r[2],
                second_title=r[3],
                distance_m=float(r[4]),
                similarity=float(r[5]),
            )
            for r in cursor.fetchall()
        ]


def _inner(items: QuerySet, geometry: str, weight: str | None) -> tuple[str, tuple]:
    """`SELECT id, geom, w` of the queryset, for the analyses to wrap."""
    fields = ["pk", geometry] if weight is None else ["pk", geometry, weight]
    sql, params = items.order_by().values_list(*fields).query.sql_with_params()
    w = "1" if weight is None else "COALESCE(q.c2, 0)"
    columns = "c0, c1" if weight is None else "c0, c1, c2"
    return f"SELECT q.c0 AS id, q.c1 AS geom, {w} AS w FROM ({sql}) AS q({columns})", params  # noqa: S608
