"""The feature collections OGC API - Features serves, and the CRSs it speaks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import Extent
from django.db.models import Max, Min, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.geojson import FeatureSpec
from geo.models import Area
from locations.models import Site
from proposals import features
from proposals.features import public_proposal_rows
from surveys.selectors import public_cells


@dataclass(frozen=True)
class Crs:
    """A CRS a client may ask for: its URI, the SRID PostGIS knows, and its axis order."""

    uri: str
    srid: int
    # Official axis order puts latitude/northing first. PostGIS always stores x=lon/easting,
    # so such a CRS needs ST_FlipCoordinates on output and a swap of incoming bbox numbers.
    lat_first: bool = False
    # Geographic CRSs get range checks on a bbox (degrees); projected ones do not.
    geographic: bool = False
    aliases: tuple[str, ...] = ()


CRS84 = Crs(
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    STORAGE_SRID,
    geographic=True,
    aliases=("OGC:CRS84", "[OGC:CRS84]", "urn:ogc:def:crs:OGC:1.3:CRS84"),
)
# EPSG:4326 is served in its official lat/lon order (OGC API - Features Part 2, and what GDAL
# >= 3.7 and QGIS expect); CRS84 is the lon/lat variant of the same datum.
EPSG_4326 = Crs(
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    STORAGE_SRID,
    lat_first=True,
    geographic=True,
    aliases=("EPSG:4326", "[EPSG:4326]", "urn:ogc:def:crs:EPSG::4326"),
)
# ETRS89 / UTM 32N, the official CRS in Rhineland-Palatinate: easting, northing in metres.
EPSG_25832 = Crs(
    f"http://www.opengis.net/def/crs/EPSG/0/{METRIC_SRID}",
    METRIC_SRID,
    aliases=(
        f"EPSG:{METRIC_SRID}",
        f"[EPSG:{METRIC_SRID}]",
        f"urn:ogc:def:crs:EPSG::{METRIC_SRID}",
    ),
)
SUPPORTED_CRS: tuple[Crs, ...] = (CRS84, EPSG_4326, EPSG_25832)
_CRS_BY_NAME = {name: crs for crs in SUPPORTED_CRS for name in (crs.uri, *crs.aliases)}


def crs_by_name(name: str) -> Crs | None:
    """The CRS a URI (or a safe CURIE such as `[EPSG:25832]`) names, if we serve it."""
    name = name.strip()
    return _CRS_BY_NAME.get(name.replace("https://", "http://", 1))


@dataclass(frozen=True)
class Queryable:
    """A name a filter may use: the column it reads, and the JSON Schema of its values."""

    column: str
    schema: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """string, integer, number, boolean, date-time or geometry."""
        if "format" in self.schema and str(self.schema["format"]).startswith("geometry"):
            return "geometry"
        if self.schema.get("format") == "date-time":
            return "date-time"
        return str(self.schema.get("type", "string"))


@dataclass(frozen=True)
class Collection:
    """One collection: where its public rows come from and how a row becomes a feature."""

    id: str
    title: str | Promise
    description: str | Promise
    rows: Callable[[], QuerySet]
    spec: FeatureSpec
    # Timestamps of the rows, for `datetime` filters and the temporal extent; None: no time.
    temporal_field: str | None = None
    # Query parameters that filter by equality: parameter name -> field lookup.
    filters: Mapping[str, str] = field(default_factory=dict)
    # JSON Schema types of the properties, for the OpenAPI document and the HTML page.
    property_types: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # The geometry's JSON Schema format (OGC API - Features Part 5): geometry-point, ...
    geometry_format: str = "geometry-any"

    def queryables(self) -> dict[str, Queryable]:
        """What a CQL2 filter and `sortby` may name: every property, and the geometry.

        A property's column is where the feature reads it, so a filter sees exactly what the
        feature shows (a secret vote total is null to a filter too).
        """
        found = {
            name: Queryable(column, dict(self.property_types.get(name, {"type": "string"})))
            for name, column in self.spec.properties.items()
        }
        found["geometry"] = Queryable(self.spec.geometry, {"format": self.geometry_format})
        return found

    def items(self) -> QuerySet:
        """Public rows in a stable order (by id), so that pages never overlap or skip."""
        return self.rows().order_by("pk")

    def extent(self) -> dict[str, Any] | None:
        """Spatial (`ST_Extent`, CRS84) and temporal extent of the public rows, one query."""
        aggregates: dict[str, Any] = {"bbox": Extent(self.spec.geometry)}
        if self.temporal_field:
            aggregates["first"] = Min(self.temporal_field)
            aggregates["last"] = Max(self.temporal_field)
        found = self.rows().order_by().aggregate(**aggregates)
        extent: dict[str, Any] = {}
        if found["bbox"] is not None:
            extent["spatial"] = {"bbox": [list(found["bbox"])], "crs": CRS84.uri}
        if self.temporal_field and found["first"] is not None:
            extent["temporal"] = {
                "interval": [[_rfc3339(found["first"]), _rfc3339(found["last"])]],
                "trs": "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian",
            }
        return extent or None


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _sites() -> QuerySet:
    return Site.objects.all()


def _site_outlines() -> QuerySet:
    return Site.objects.filter(outline__isnull=False)


def _districts() -> QuerySet:
    return Area.objects.filter(kind=Area.Kind.DISTRICT)


def _proposals() -> QuerySet:
    """Public proposals: what anyone sees in lists, nothing personal in the properties.

    GIS clients do not sign in, so this is the public's view (the one rule of who sees what,
    and of when vote totals show, as every other surface asks it).
    """
    return public_proposal_rows(AnonymousUser())


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_INTEGER = {"type": "integer"}
_NULLABLE_INTEGER = {"type": "integer", "nullable": True}

COLLECTIONS: dict[str, Collection] = {
    collection.id: collection
    for collection in (
        Collection(
            id="sites",
            title=_("Sites"),
            description=_("Places the city names: squares, lots, candidate locations."),
            rows=_sites,
            spec=FeatureSpec(
                geometry="location",
                properties={
                    "name": "name",
                    "slug": "slug",
                    "kind": "kind",
                    "district": "district__name",
                    "description": "description",
                },
            ),
            property_types={
                "name": _STRING,
                "slug": _STRING,
                "kind": _STRING,
                "district": _NULLABLE_STRING,
                "description": _STRING,
            },
            geometry_format="geometry-point",
        ),
        Collection(
            id="site-outlines",
            title=_("Site outlines"),
            description=_(
                "The outlines (polygons) of the sites that have one; the sites collection "
                "holds every site's point."
            ),
            rows=_site_outlines,
            spec=FeatureSpec(
                geometry="outline",
                properties={
                    "name": "name",
                    "slug": "slug",
                    "kind": "kind",
                    "district": "district__name",
                },
            ),
            property_types={
                "name": _STRING,
                "slug": _STRING,
                "kind": _STRING,
                "district": _NULLABLE_STRING,
            },
            geometry_format="geometry-multipolygon",
        ),
        Collection(
            id="proposals",
            title=_("Proposals"),
            description=_(
                "Published proposals of published projects, with online votes (where the "
                "project's results are public) and comments."
            ),
            rows=_proposals,
            spec=features.OGC_SPEC,
            temporal_field="created_at",
            filters={"project": "project__slug"},
            property_types={name: dict(features.PROPERTIES[name].schema) for name in features.OGC},
            geometry_format="geometry-point",
        ),
        Collection(
            id="districts",
            title=_("Districts"),
            description=_("The city's districts."),
            rows=_districts,
            spec=FeatureSpec(
                geometry="geometry",
                properties={"name": "name", "slug": "slug", "population": "population"},
            ),
            property_types={"name": _STRING, "slug": _STRING, "population": _NULLABLE_INTEGER},
            geometry_format="geometry-multipolygon",
        ),
        Collection(
            id="survey-cells",
            title=_("Survey map answers"),
            description=_(
                "Map answers of surveys whose results are public, aggregated: grid cells with "
                "the number of responses that drew in them. Cells fewer responses touch than "
                "the survey's minimum are left out; no drawing or respondent is ever shown."
            ),
            rows=public_cells,
            spec=FeatureSpec(
                geometry="geometry",
                properties={
                    "survey": "survey__slug",
                    "question": "question__text",
                    "question_id": "question_id",
                    "count": "count",
                },
            ),
            property_types={
                "survey": _STRING,
                "question": _STRING,
                "question_id": _INTEGER,
                "count": _INTEGER,
            },
        ),
    )
}
