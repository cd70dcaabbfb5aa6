"""The sites as an export data set: points, and their outlines beside them.

GeoPackage and Shapefile get the outlines as a second layer (`site_outlines`, polygons, keyed
by the sites' `id` and `slug`); GeoJSON carries each outline as a GeoJSON geometry in the
`outline` property and CSV as WKT text, so every format holds everything an import needs to
restore the sites unchanged (see `locations/imports.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Func,
    JSONField,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.functions import Cast

from geo.crs import STORAGE_SRID
from geo.exports import ExportDataset, ExportLayer, ExportOptions
from geo.geojson import FeatureSpec
from locations.models import Site

OUTLINE_LAYER = "site_outlines"

# Readable dBASE names (at most 10 characters) for the properties that are longer.
SHAPEFILE_NAMES = {
    "description": "descript",
    "external_id": "ext_id",
    "has_outline": "has_outln",
    "is_approximate": "approx",
}

PROPERTIES = {
    "id": "id",
    "name": "name",
    "slug": "slug",
    "kind": "kind",
    "district": "district__name",
    "description": "description",
    "external_id": "external_id",
    "has_outline": "has_outline",
    "is_approximate": "is_approximate",
}
NUMERIC = frozenset({"id", "has_outline", "is_approximate"})


def site_layers(options: ExportOptions) -> Sequence[ExportLayer]:
    sites = Site.objects.annotate(
        has_outline=ExpressionWrapper(Q(outline__isnull=False), output_field=BooleanField())
    ).order_by("pk")
    if options.project is not None and options.project.perimeter is not None:
        sites = sites.filter(location__intersects=options.project.perimeter)
    outline = F("outline") if options.srid == STORAGE_SRID else Transform("outline", options.srid)
    if options.format == "geojson":
        # A GeoJSON geometry object inside the properties, in the document's CRS.
        sites = sites.annotate(
            outline_geometry=Cast(
                AsGeoJSON(outline, precision=options.precision), output_field=JSONField()
            )
        )
        return [_main(sites, outline_property="outline_geometry")]
    if options.format == "csv":
        sites = sites.annotate(
            outline_wkt=Func(
                outline, options.precision, function="ST_AsText", output_field=TextField()
            )
        )
        return [_main(sites, outline_property="outline_wkt")]
    outlines = Site.objects.filter(outline__isnull=False, pk__in=sites.values("pk")).order_by("pk")
    return [
        _main(sites, outline_property=None),
        ExportLayer(
            OUTLINE_LAYER,
            outlines,
            FeatureSpec(geometry="outline", properties={"id": "id", "slug": "slug"}),
            "MULTIPOLYGON",
            frozenset({"id"}),
        ),
    ]


def _main(sites: QuerySet[Site], *, outline_property: str | None) -> ExportLayer:
    properties = dict(PROPERTIES)
    if outline_property:
        properties["outline"] = outline_property
    return ExportLayer("sites", sites, FeatureSpec("location", properties), "POINT", NUMERIC)


SITES = ExportDataset(name="sites", layers=site_layers, shapefile_names=SHAPEFILE_NAMES)
