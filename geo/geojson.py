"""GeoJSON built by PostGIS, one feature per row, streamed: Python only joins strings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from geo.crs import STORAGE_SRID

# 7 decimals of a degree are about 1 cm: more digits only make the documents bigger.
DEFAULT_PRECISION = 7


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns of a queryset make a feature: its id, geometry and properties.

    `properties` maps the property name to a field path of the queryset (`"category__name"`)
    or an annotation name.
    """

    geometry: str
    properties: Mapping[str, str]
    id_field: str = "pk"


def feature_sql(
    queryset: QuerySet,
    spec: FeatureSpec,
    *,
    srid: int = STORAGE_SRID,
    precision: int | None = None,
    flip_axes: bool = False,
    skip_geometry: bool = False,
) -> tuple[str, tuple]:
    """SQL selecting one GeoJSON Feature (as text) per row of `queryset`, in its order.

    `flip_axes` swaps x and y after any transformation, for clients that ask for a CRS in its
    official axis order where that puts latitude/northing first (EPSG:4326 is lat/lon).
    `skip_geometry`: features without geometry (null), for clients that want the table only.
    """
    fields = [spec.id_field, spec.geometry, *spec.properties.values()]
    inner_sql, inner_params = queryset.values_list(*fields).query.sql_with_params()
    columns = [f"c{i}" for i in range(len(fields))]
    geometry = columns[1] if srid == STORAGE_SRID else f"ST_Transform({columns[1]}, %s)"
    if flip_axes:
        geometry = f"ST_FlipCoordinates({geometry})"
    # Metres need no more than millimetres; degrees keep about a centimetre. Option 0: no "crs"
    # member inside each geometry (PostGIS adds one for other CRSs by default); the CRS is said
    # once, by the document or the response.
    digits = precision if precision is not None else (DEFAULT_PRECISION if srid == 4326 else 3)
    props = ", ".join(
        f"{_literal(name)}, {col}" for name, col in zip(spec.properties, columns[2:], strict=True)
    )
    # Only identifiers we made (c0…, checked property names) and Django's compiled SQL are
    # interpolated; every value travels as a parameter.
    geometry_json = (
        "NULL::json" if skip_geometry else f"ST_AsGeoJSON({geometry}, {int(digits)}, 0)::json"
    )
    sql = (
        "SELECT json_build_object('type', 'Feature', 'id', c0, "  # noqa: S608
        f"'geometry', {geometry_json}, "
        f"'properties', json_build_object({props}))::text "
        f"FROM ({inner_sql}) AS t({', '.join(columns)})"
    )
    # The transform's placeholder comes before the inner query's in the SQL text.
    params = ((srid,) if srid != STORAGE_SRID and not skip_geometry else ()) + tuple(inner_params)
    return sql, params


def iter_features(
    queryset: QuerySet,
    spec: FeatureSpec,
    *,
    srid: int = STORAGE_SRID,
    chunk_size: int = 2000,
    flip_axes: bool = False,
) -> Iterator[str]:
    """Feature texts, fetched through a server-side cursor so memory stays flat for any size."""
    try:
        sql, params = feature_sql(queryset, spec, srid=srid, flip_axes=flip_axes)
    except EmptyResultSet:  # Django proved the queryset empty (e.g. `pk__in=[]`): no SQL to run
        return
    # The queryset's database: a read replica when the router chooses one (config/replicas.py).
    with connections[queryset.db].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for (feature,) in rows:
                yield feature


def features(
    queryset: QuerySet,
    spec: FeatureSpec,
    *,
    srid: int = STORAGE_SRID,
    flip_axes: bool = False,
    skip_geometry: bool = False,
) -> list[str]:
    """Feature texts of a small queryset (one page) in one round trip."""
    try:
        sql, params = feature_sql(
            queryset, spec, srid=srid, flip_axes=flip_axes, skip_geometry=skip_geometry
        )
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def collection_chunks(
    feature_texts: Iterable[str], members: Mapping[str, object] | None = None
) -> Iterator[str]:
    """A FeatureCollection as text chunks: the features, then any further top-level members."""
    yield '{"type":"FeatureCollection","features":['
    for index, feature in enumerate(feature_texts):
        yield feature if index == 0 else "," + feature
    yield "]"
    for key, value in (members or {}).items():
        yield f",{json.dumps(key)}:{json.dumps(value, default=str)}"
    yield "}"


def _literal(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"Property names are identifiers, not {name!r}")
    return f"'{name}'"
