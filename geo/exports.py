"""Exports for GIS staff: the mechanism (GeoJSON built and streamed by PostGIS, other formats by
ogr2ogr) and a registry of data sets that each app fills with its own (`AppConfig.ready()`).

This module knows no domain model: what a data set holds, and which rows of it may leave the
service, is decided by the app that owns the data.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.services import log_event
from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.geojson import DEFAULT_PRECISION, FeatureSpec, collection_chunks, iter_features
from geo.models import Area

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

# Chunks of about this many characters go to the client or the file: one feature per write
# would make thousands of tiny writes, the whole collection at once would defeat streaming.
STREAM_CHUNK_CHARS = 64 * 1024


class ExportError(Exception):
    """GDAL could not write the export; the message says why."""


@dataclass(frozen=True)
class ExportScope:
    """A part of the city an export is limited to (`?project=`): its name and its area.

    `subject` is the object the registering app resolved (e.g. a project); only that app's
    data sets look at it, this module passes it through.
    """

    slug: str
    perimeter: GEOSGeometry | None
    subject: object = None


@dataclass(frozen=True)
class ExportLayer:
    """One layer of an export: its rows, how each becomes a feature, its geometry type.

    `numeric` names the properties that are numbers or booleans (a Shapefile keeps them typed;
    every other property is text there).
    """

    name: str
    queryset: QuerySet
    spec: FeatureSpec
    geometry_type: str  # "POINT" or "MULTIPOLYGON"
    numeric: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExportDataset:
    """A registered data set. `layers` gives its layers for the options, the main layer first:
    GeoJSON and CSV carry the main layer only, GeoPackage and Shapefile (zip) carry them all.

    `shapefile_names` are readable names of at most 10 characters for properties longer than
    dBASE allows (GDAL would cut `comment_count` to `comment_co`).
    """

    name: str
    layers: Callable[[ExportOptions], Sequence[ExportLayer]]
    shapefile_names: Mapping[str, str] = field(default_factory=dict)
    points: bool = True  # whether the main layer is points (CSV X/Y columns fit only points)


_DATASETS: dict[str, ExportDataset] = {}
_SCOPE_LOOKUP: list[Callable[[str], ExportScope | None]] = []


def register_dataset(dataset: ExportDataset) -> None:
    """Called by the owning app's `AppConfig.ready()`."""
    if any(len(short) > 10 for short in dataset.shapefile_names.values()):
        raise ValueError(f"Shapefile names of {dataset.name!r} must fit dBASE's 10 characters")
    _DATASETS[dataset.name] = dataset


def register_scope_lookup(lookup: Callable[[str], ExportScope | None]) -> None:
    """The app that owns what `?project=` names registers how a slug becomes a scope."""
    _SCOPE_LOOKUP[:] = [lookup]


def datasets() -> tuple[str, ...]:
    return tuple(_DATASETS)


def dataset(name: str) -> ExportDataset:
    return _DATASETS[name]


@dataclass(frozen=True)
class ExportOptions:
    dataset: str
    format: str = "geojson"
    srid: int = STORAGE_SRID
    project: ExportScope | None = None
    csv_geometry: str = "wkt"

    @property
    def filename(self) -> str:
        parts = [self.dataset, *([self.project.slug] if self.project else []), f"epsg{self.srid}"]
        return f"{'-'.join(parts)}.{EXTENSIONS[self.format]}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def precision(self) -> int:
        """Decimal digits of coordinates: about a centimetre in degrees, a millimetre in metres."""
        return DEFAULT_PRECISION if self.srid == STORAGE_SRID else 3


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
    if dataset not in _DATASETS:
        errors["dataset"] = _("Unknown data set. Choose one of: %(choices)s.") % {
            "choices": ", ".join(_DATASETS)
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
    scope = None
    if project:
        scope = _SCOPE_LOOKUP[0](project) if _SCOPE_LOOKUP else None
        if scope is None:
            errors["project"] = _("There is no project with this name.")
    csv_geometry = csv_geometry or "wkt"
    if csv_geometry not in CSV_GEOMETRIES:
        errors["csv_geometry"] = _("Choose wkt (one WKT column) or xy (two coordinate columns).")
    elif (
        csv_geometry == "xy" and fmt == "csv" and dataset in _DATASETS
        and not _DATASETS[dataset].points
    ):  # fmt: skip
        errors["csv_geometry"] = _("Districts are polygons: coordinate columns only fit points.")
    if errors:
        raise ValidationError(errors, code="invalid")
    return ExportOptions(dataset, fmt, srid_value, scope, csv_geometry)


def export_layers(options: ExportOptions) -> Sequence[ExportLayer]:
    """The layers of the export, the main one first."""
    return _DATASETS[options.dataset].layers(options)


def dataset_source(
    dataset: str, project: ExportScope | None = None
) -> tuple[QuerySet, FeatureSpec]:
    """The rows of a data set's main layer and how each becomes a feature (GeoJSON, 4326)."""
    main = export_layers(ExportOptions(dataset, project=project))[0]
    return main.queryset, main.spec


def feature_counts(options: ExportOptions) -> dict[str, int]:
    """Features per layer of the export (for the audit log)."""
    layers = export_layers(options)
    if options.format in ("geojson", "csv"):
        layers = layers[:1]
    return {layer.name: layer.queryset.count() for layer in layers}


def geojson_chunks(options: ExportOptions, *, shapefile_names: bool = False) -> Iterator[str]:
    """The data set's main layer as a GeoJSON FeatureCollection, in text chunks of bounded size.

    RFC 7946 GeoJSON is WGS 84 only. For EPSG:25832 the legacy (2008) `crs` member names the
    CRS: GDAL, QGIS and ArcGIS read it, so `ogrinfo` reports EPSG:25832 and nobody has to guess.
    """
    layer = export_layers(options)[0]
    return _layer_chunks(options, layer, shapefile_names=shapefile_names)


def _layer_chunks(
    options: ExportOptions, layer: ExportLayer, *, shapefile_names: bool = False
) -> Iterator[str]:
    spec = layer.spec
    if shapefile_names:
        short = _DATASETS[options.dataset].shapefile_names
        spec = FeatureSpec(
            geometry=spec.geometry,
            properties={short.get(k, k): v for k, v in spec.properties.items()},
            id_field=spec.id_field,
        )
    members: dict[str, object] = {"name": layer.name}
    if options.srid != STORAGE_SRID:
        members["crs"] = {
            "type": "name",
            "properties": {"name": f"urn:ogc:def:crs:EPSG::{options.srid}"},
        }
    texts = collection_chunks(iter_features(layer.queryset, spec, srid=options.srid), members)
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


def log_export(
    options: ExportOptions, *, actor: User | AnonymousUser | None, destination: str
) -> None:
    """An audit entry: who took which data set, in which form, where to, how many features."""
    log_event(
        actor=actor,
        action="export",
        object_type=f"export.{options.dataset}",
        after={
            "dataset": options.dataset,
            "format": options.format,
            "srid": options.srid,
            "project": options.project.slug if options.project else None,
            "destination": destination,
            "features": feature_counts(options),
        },
    )


def _produce(options: ExportOptions, workdir: Path) -> Path:
    layers = export_layers(options)
    if options.format in ("geojson", "csv"):
        layers = layers[:1]
    sources = []
    for layer in layers:
        # Named after the layer: GDAL takes the layer name from the file name.
        source = workdir / f"{layer.name}.geojson"
        with source.open("w", encoding="utf-8") as out:
            for chunk in _layer_chunks(options, layer, shapefile_names=options.format == "shp"):
                out.write(chunk)
        sources.append((layer, source))
    if options.format == "geojson":
        return sources[0][1]
    target = workdir / f"{options.dataset}.{EXTENSIONS[options.format]}"
    if options.format == "shp":
        # One Shapefile per layer, zipped together (the points and, beside them, the outlines).
        folder = workdir / "shp"
        folder.mkdir()
        for layer, source in sources:
            _ogr2ogr(options, layer, source, folder / f"{layer.name}.shp")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, file.name)
        return target
    for index, (layer, source) in enumerate(sources):
        _ogr2ogr(options, layer, source, target, append=index > 0)
    return target


def _ogr2ogr(
    options: ExportOptions, layer: ExportLayer, source: Path, target: Path, *, append: bool = False
) -> None:
    binary = shutil.which("ogr2ogr")
    if binary is None:
        raise ExportError(_("GDAL's ogr2ogr is not installed (package gdal-bin)."))
    args = [
        binary, "-f", _DRIVERS[options.format], *(["-update"] if append else []),
        str(target), str(source),
        "-nln", layer.name,
        "-nlt", layer.geometry_type,
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
        args += ["-sql", _shapefile_sql(options, layer)]
    result = subprocess.run(  # noqa: S603 - fixed binary, arguments are ours
        args, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not target.exists():
        raise ExportError(
            _("GDAL could not write the file: %(error)s") % {"error": result.stderr.strip()}
        )


def _shapefile_sql(options: ExportOptions, layer: ExportLayer) -> str:
    short = _DATASETS[options.dataset].shapefile_names
    columns = []
    for prop in layer.spec.properties:
        name = short.get(prop, prop)
        columns.append(
            f'"{name}"'
            if prop in layer.numeric
            else f'CAST("{name}" AS character(254)) AS "{name}"'
        )
    # Names come from the registered specs, never from input.
    return f'SELECT {", ".join(columns)} FROM "{layer.name}"'  # noqa: S608


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


# geo's own data set: the districts (the city boundary is not exported as a data set).


def _district_layers(options: ExportOptions) -> Sequence[ExportLayer]:
    areas = Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("pk")
    if options.project is not None and options.project.perimeter is not None:
        areas = areas.filter(geometry__intersects=options.project.perimeter)
    spec = FeatureSpec(
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
    numeric = frozenset({"id", "population", "is_approximate"})
    return [ExportLayer("districts", areas, spec, "MULTIPOLYGON", numeric)]


DISTRICTS = ExportDataset(
    name="districts",
    layers=_district_layers,
    shapefile_names={"external_id": "ext_id", "is_approximate": "approx"},
    points=False,
)
