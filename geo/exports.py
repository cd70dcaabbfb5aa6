"""Exports for GIS staff: GeoJSON built and streamed by PostGIS, other formats by ogr2ogr."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext as _

from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.geojson import FeatureSpec, collection_chunks, iter_features
from geo.models import Area
from locations.models import Site
from proposals.models import Project
from proposals.selectors import proposals_visible_to, with_counts

DATASETS = ("sites", "proposals", "districts")
FORMATS = ("geojson", "gpkg", "csv", "shp")
SRIDS = (STORAGE_SRID, METRIC_SRID)
CSV_GEOMETRIES = ("wkt", "xy")

EXTENSIONS = {"geojson": "geojson", "gpkg": "gpkg", "csv": "csv", "shp": "shp.zip"}
CONTENT_TYPES = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
    "shp": "application/zip",
}
_DRIVERS = {"gpkg": "GPKG", "csv": "CSV", "shp": "ESRI Shapefile"}

# Shapefile (dBASE) field names have at most 10 characters; GDAL would cut `comment_count` to
# `comment_co`. These readable short names are used for Shapefiles only; the other formats keep
# the names the API uses.
SHAPEFILE_NAMES = {
    "comment_count": "comments",
    "created_at": "created",
    "description": "descript",
    "external_id": "ext_id",
    "has_outline": "has_outln",
    "is_approximate": "approx",
}

# Properties that are numbers or booleans; every other one is text.
_NON_TEXT = {
    "id",
    "vote_count",
    "comment_count",
    "population",
    "is_option",
    "has_outline",
    "is_approximate",
}

# Chunks of about this many characters go to the client or the file: one feature per write
# would make thousands of tiny writes, the whole collection at once would defeat streaming.
STREAM_CHUNK_CHARS = 64 * 1024


class ExportError(Exception):
    """GDAL could not write the export; the message says why."""


@dataclass(frozen=True)
class ExportOptions:
    dataset: str
    format: str = "geojson"
    srid: int = STORAGE_SRID
    project: Project | None = None
    csv_geometry: str = "wkt"

    @property
    def filename(self) -> str:
        parts = [self.dataset, *([self.project.slug] if self.project else []), f"epsg{self.srid}"]
        return f"{'-'.join(parts)}.{EXTENSIONS[self.format]}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def export_options(
    *,
    dataset: str,
    fmt: str = "geojson",
    srid: object = STORAGE_SRID,
    project: str | None = None,
    csv_geometry: str | None = None,
) -> ExportOptions:
    """Options from user input, or a ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    if dataset not in DATASETS:
        errors["dataset"] = _("Unknown data set. Choose one of: %(choices)s.") % {
            "choices": ", ".join(DATASETS)
        }
    if fmt not in FORMATS:
        errors["format"] = _("Unknown format. Choose one of: %(choices)s.") % {
            "choices": ", ".join(FORMATS)
        }
    try:
        srid_value = int(str(srid))
    except ValueError:
        srid_value = 0
    if srid_value not in SRIDS:
        errors["srid"] = _("Choose EPSG:4326 or EPSG:25832 (srid=4326 or srid=25832).")
    project_obj = None
    if project:
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            errors["project"] = _("There is no project with this name.")
    csv_geometry = csv_geometry or "wkt"
    if csv_geometry not in CSV_GEOMETRIES:
        errors["csv_geometry"] = _("Choose wkt (one WKT column) or xy (two coordinate columns).")
    elif csv_geometry == "xy" and fmt == "csv" and dataset == "districts":
        errors["csv_geometry"] = _("Districts are polygons: coordinate columns only fit points.")
    if errors:
        raise ValidationError(errors, code="invalid")
    return ExportOptions(dataset, fmt, srid_value, project_obj, csv_geometry)


def dataset_source(dataset: str, project: Project | None = None) -> tuple[QuerySet, FeatureSpec]:
    """The rows of a data set and how each becomes a feature; no personal data in any of them."""
    if dataset == "proposals":
        # What the public sees, and nothing more: published proposals of published projects.
        proposals = with_counts(proposals_visible_to(AnonymousUser(), project=project))
        # Not named `is_option`: that is a property of the model, the annotation would shadow it.
        proposals = proposals.annotate(
            at_site=ExpressionWrapper(Q(site__isnull=False), output_field=BooleanField())
        ).order_by("pk")
        return proposals, FeatureSpec(
            geometry="location",
            properties={
                "id": "id",
                "title": "title",
                "description": "description",
                "project": "project__slug",
                "category": "category__name",
                "status": "status",
                "is_option": "at_site",
                "site": "site__slug",
                "vote_count": "vote_count",
                "comment_count": "comment_count",
                "created_at": "created_at",
            },
        )
    if dataset == "sites":
        sites = Site.objects.annotate(
            has_outline=ExpressionWrapper(Q(outline__isnull=False), output_field=BooleanField())
        ).order_by("pk")
        if project is not None:
            sites = sites.filter(location__intersects=project.perimeter)
        return sites, FeatureSpec(
            geometry="location",
            properties={
                "id": "id",
                "name": "name",
                "slug": "slug",
                "kind": "kind",
                "district": "district__name",
                "description": "description",
                "external_id": "external_id",
                "has_outline": "has_outline",
                "is_approximate": "is_approximate",
            },
        )
    if dataset == "districts":
        areas = Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("pk")
        if project is not None:
            areas = areas.filter(geometry__intersects=project.perimeter)
        return areas, FeatureSpec(
            geometry="geometry",
            properties={
                "id": "id",
                "name": "name",
                "slug": "slug",
                "population": "population",
                "external_id": "external_id",
                "is_approximate": "is_approximate",
                "source": "source",
            },
        )
    raise ValueError(f"Unknown data set {dataset!r}")


def geojson_chunks(options: ExportOptions, *, shapefile_names: bool = False) -> Iterator[str]:
    """The data set as a GeoJSON FeatureCollection, in text chunks of bounded size.

    RFC 7946 GeoJSON is WGS 84 only. For EPSG:25832 the legacy (2008) `crs` member names the
    CRS: GDAL, QGIS and ArcGIS read it, so `ogrinfo` reports EPSG:25832 and nobody has to guess.
    """
    queryset, spec = dataset_source(options.dataset, options.project)
    if shapefile_names:
        spec = FeatureSpec(
            geometry=spec.geometry,
            properties={SHAPEFILE_NAMES.get(k, k): v for k, v in spec.properties.items()},
            id_field=spec.id_field,
        )
    members: dict[str, object] = {"name": options.dataset}
    if options.srid != STORAGE_SRID:
        members["crs"] = {
            "type": "name",
            "properties": {"name": f"urn:ogc:def:crs:EPSG::{options.srid}"},
        }
    texts = collection_chunks(iter_features(queryset, spec, srid=options.srid), members)
    return _batched(texts, STREAM_CHUNK_CHARS)


def write_export(options: ExportOptions, target: Path) -> None:
    """Write the export to `target`; an existing file there is replaced only on success."""
    with tempfile.TemporaryDirectory(prefix="mmk-export-") as tmp:
        produced = _produce(options, Path(tmp))
        shutil.move(produced, target)


def open_export(options: ExportOptions) -> IO[bytes]:
    """The export as an open binary file whose directory entry is already gone.

    The caller (a download view) reads and closes it; nothing is left on disk either way.
    """
    with tempfile.TemporaryDirectory(prefix="mmk-export-") as tmp:
        produced = _produce(options, Path(tmp))
        # Unlinking an open file keeps its data until it is closed (POSIX).
        return produced.open("rb")


def _produce(options: ExportOptions, workdir: Path) -> Path:
    # Named after the data set: GDAL takes the layer name from the file name.
    source = workdir / f"{options.dataset}.geojson"
    with source.open("w", encoding="utf-8") as out:
        for chunk in geojson_chunks(options, shapefile_names=options.format == "shp"):
            out.write(chunk)
    if options.format == "geojson":
        return source
    target = workdir / f"{options.dataset}.{EXTENSIONS[options.format]}"
    _ogr2ogr(options, source, target)
    return target


def _ogr2ogr(options: ExportOptions, source: Path, target: Path) -> None:
    binary = shutil.which("ogr2ogr")
    if binary is None:
        raise ExportError(_("GDAL's ogr2ogr is not installed (package gdal-bin)."))
    is_points = options.dataset in ("sites", "proposals")
    args = [
        binary, "-f", _DRIVERS[options.format], str(target), str(source),
        "-nln", options.dataset,
        "-nlt", "POINT" if is_points else "MULTIPOLYGON",
        # PostGIS has already transformed the coordinates; this only names their CRS.
        "-a_srs", f"EPSG:{options.srid}",
    ]  # fmt: skip
    if options.format == "gpkg":
        args += ["-gt", "65536"]
    elif options.format == "csv":
        geometry = "AS_XY" if options.csv_geometry == "xy" else "AS_WKT"
        # Timestamps stay ISO 8601 text, which spreadsheets read, not GDAL's "2024/05/01" form.
        args += ["-lco", f"GEOMETRY={geometry}", "-oo", "DATE_AS_STRING=YES"]
    elif options.format == "shp":
        # dBASE has no timestamp type: as a date the time of day would be lost. Text fields
        # of unknown width would get 80 characters; cast to dBASE's 254, then RESIZE shrinks
        # each to the longest value.
        args += ["-lco", "ENCODING=UTF-8", "-lco", "RESIZE=YES", "-oo", "DATE_AS_STRING=YES"]
        args += ["-sql", _shapefile_sql(options.dataset)]
    result = subprocess.run(  # noqa: S603 - fixed binary, arguments are ours
        args, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not target.exists():
        raise ExportError(
            _("GDAL could not write the file: %(error)s") % {"error": result.stderr.strip()}
        )


def _shapefile_sql(dataset: str) -> str:
    _queryset, spec = dataset_source(dataset)
    columns = []
    for prop in spec.properties:
        name = SHAPEFILE_NAMES.get(prop, prop)
        columns.append(
            f'"{name}"' if prop in _NON_TEXT else f'CAST("{name}" AS character(254)) AS "{name}"'
        )
    # Names come from the fixed specs above, never from input.
    return f'SELECT {", ".join(columns)} FROM "{dataset}"'  # noqa: S608


def _batched(texts: Iterable[str], size: int) -> Iterator[str]:
    buffer: list[str] = []
    length = 0
    for text in texts:
        buffer.append(text)
        length += len(text)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)
