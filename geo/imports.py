"""Imports of sites and districts from GIS files: read by GDAL, checked per feature, atomic."""

from __future__ import annotations

import datetime
import math
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, DataSource, OGRGeometry, SpatialReference
from django.contrib.gis.gdal.error import GDALException, SRSException
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPoint
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from geo.crs import STORAGE_SRID
from geo.models import Area
from geo.services import area_save
from locations.models import Site
from locations.services import site_save

T = TypeVar("T")

# What a zip may hold, in order of preference when it holds several.
_ZIPPED_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing, unreadable, fields absent); says why."""


class FeatureRefused(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Refusal:
    index: int  # 1-based position of the feature in the file
    feature_id: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = _("feature %(index)d") % {"index": self.index}
        if self.feature_id:
            where += f" (id {self.feature_id!r})"
        return f"{where}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    refused: list[Refusal] = field(default_factory=list)
    stored: bool = False


@dataclass(frozen=True)
class SourceFeature:
    index: int
    values: dict[str, Any]
    geometry: GEOSGeometry | None  # in EPSG:4326; None when it was absent


class Progress:
    """A one-line progress bar on a stream (stderr); silent unless enabled."""

    WIDTH = 30

    def __init__(self, total: int, *, stream: IO[str] | None = None, enabled: bool = False):
        self.total = max(total, 0)
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.total > 0
        self._shown = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = min(100, done * 100 // self.total)
        if percent == self._shown:
            return
        self._shown = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}% ({done}/{self.total})")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()


@dataclass(frozen=True)
class SiteFields:
    id: str = "external_id"
    name: str = "name"
    kind: str = "kind"
    description: str = "description"
    default_kind: str | None = None


@dataclass(frozen=True)
class AreaFields:
    id: str = "external_id"
    name: str = "name"
    population: str = "population"


def import_sites(
    path: str | Path,
    *,
    fields: SiteFields = SiteFields(),
    layer: str | None = None,
    source_srid: int | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], Progress] | None = None,
    is_approximate: bool = False,
) -> ImportReport:
    """Create or update (by external id) one site per feature: a point, or a polygon outline."""
    source = _open_layer(path, layer)
    _require_fields(source, {"--id-field": fields.id, "--name-field": fields.name})
    has_kind = fields.kind in source.fields
    if not has_kind and fields.default_kind is None:
        raise ImportFileError(
            _("The layer has no field %(field)r for the kind. Its fields: %(fields)s. "
              "Name one with --kind-field, or give --default-kind.")
            % {"field": fields.kind, "fields": ", ".join(source.fields)}
        )  # fmt: skip
    known = {fields.id, fields.name, fields.kind, fields.description}

    def save(feature: SourceFeature, external_id: str) -> bool:
        values = feature.values
        errors: dict[str, str] = {}
        name = _gather(
            errors,
            lambda: _required_text(values.get(fields.name), "name", _("The name is missing.")),
        )
        kind = _gather(
            errors,
            lambda: _site_kind(values.get(fields.kind) if has_kind else None, fields.default_kind),
        )
        location, outline = _gather(errors, lambda: _site_geometry(feature.geometry)) or (
            None,
            None,
        )
        if errors:
            raise ValidationError(errors)
        existing = Site.objects.filter(external_id=external_id).first()
        site_save(
            site=existing,
            name=cast(str, name),  # set: `errors` would have said otherwise
            kind=cast(str, kind),
            location=location,
            outline=outline,
            description=_text(values.get(fields.description)),
            attributes={k: _json_value(v) for k, v in values.items() if k not in known},
            external_id=external_id,
            is_approximate=is_approximate,
        )
        return existing is None

    return _run(source, fields.id, save, path, source_srid, dry_run, skip_invalid, progress)


def import_areas(
    path: str | Path,
    *,
    kind: str,
    fields: AreaFields = AreaFields(),
    layer: str | None = None,
    source_srid: int | None = None,
    source_name: str = "",
    is_approximate: bool = False,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> ImportReport:
    """Create or update (by external id) one area of `kind` per polygon feature."""
    if kind not in Area.Kind.values:
        raise ImportFileError(
            _("Unknown kind of area. Choose one of: %(kinds)s.")
            % {"kinds": ", ".join(Area.Kind.values)}
        )
    source = _open_layer(path, layer)
    _require_fields(source, {"--id-field": fields.id, "--name-field": fields.name})
    has_population = fields.population in source.fields

    def save(feature: SourceFeature, external_id: str) -> bool:
        values = feature.values
        errors: dict[str, str] = {}
        name = _gather(
            errors,
            lambda: _required_text(values.get(fields.name), "name", _("The name is missing.")),
        )
        population = _gather(
            errors,
            lambda: _population(values.get(fields.population)) if has_population else None,
        )
        geometry = _gather(errors, lambda: _checked(feature.geometry, "geometry"))
        if errors:
            raise ValidationError(errors)
        existing = Area.objects.filter(external_id=external_id).first()
        name = cast(str, name)  # set: `errors` would have said otherwise
        area_save(
            name=name,
            slug=existing.slug if existing else _unique_area_slug(name),
            kind=kind,
            geometry=cast(GEOSGeometry, geometry),
            population=population,
            external_id=external_id,
            source=source_name or (existing.source if existing else ""),
            is_approximate=is_approximate,
        )
        return existing is None

    return _run(source, fields.id, save, path, source_srid, dry_run, skip_invalid, progress)


def _gather(errors: dict[str, str], check: Callable[[], T]) -> T | None:
    """The check's result; a refusal goes into `errors`, so one report lists every problem."""
    try:
        return check()
    except FeatureRefused as refusal:
        errors[refusal.field] = refusal.reason
        return None


def _run(
    source: Layer,
    id_field: str,
    save: Callable[[SourceFeature, str], bool],
    path: str | Path,
    source_srid: int | None,
    dry_run: bool,
    skip_invalid: bool,
    progress_factory: Callable[[int], Progress] | None,
) -> ImportReport:
    report = ImportReport()
    progress = progress_factory(len(source)) if progress_factory else Progress(0)
    seen: dict[str, int] = {}
    with transaction.atomic():
        for feature in _features(source, path, source_srid):
            report.total += 1
            external_id = _external_id(feature.values.get(id_field))
            try:
                if external_id is None:
                    raise FeatureRefused("external_id", _("The id is missing."))
                if external_id in seen:
                    raise FeatureRefused(
                        "external_id",
                        _("The id appears twice in the file (also feature %(index)d).")
                        % {"index": seen[external_id]},
                    )
                seen[external_id] = feature.index
                # A savepoint per feature: a refused one leaves the others' work intact.
                with transaction.atomic():
                    if save(feature, external_id):
                        report.created += 1
                    else:
                        report.updated += 1
            except FeatureRefused as refusal:
                report.refused.append(
                    Refusal(feature.index, external_id, refusal.field, refusal.reason)
                )
            except ValidationError as error:
                report.refused.extend(
                    Refusal(feature.index, external_id, _field_label(name), " ".join(messages))
                    for name, messages in _message_dict(error).items()
                )
            except (DatabaseError, GEOSException, GDALException) as error:
                report.refused.append(
                    Refusal(feature.index, external_id, "geometry", _database_reason(error))
                )
            progress.update(report.total)
        progress.finish()
        report.stored = not dry_run and (skip_invalid or not report.refused)
        if not report.stored:
            # Everything was validated against the database, and now nothing is kept.
            transaction.set_rollback(True)
    return report


def _open_layer(path: str | Path, layer: str | None) -> Layer:
    file = Path(path)
    if not file.exists():
        raise ImportFileError(_("There is no file %(path)s.") % {"path": file})
    name = _zip_member(file) if file.suffix.lower() == ".zip" else str(file)
    try:
        datasource = DataSource(name)
    except GDALException:
        raise ImportFileError(
            _("GDAL cannot read %(path)s. Is it a GeoJSON, GeoPackage or Shapefile, and complete?")
            % {"path": file}
        ) from None
    names = [datasource[i].name for i in range(datasource.layer_count)]
    if layer is not None:
        if layer not in names:
            raise ImportFileError(
                _("The file has no layer %(layer)r. Its layers: %(layers)s.")
                % {"layer": layer, "layers": ", ".join(names) or "-"}
            )
        return datasource[layer]
    if len(names) != 1:
        raise ImportFileError(
            _("The file has %(count)d layers (%(layers)s): choose one with --layer.")
            % {"count": len(names), "layers": ", ".join(names) or "-"}
        )
    return datasource[0]


def _zip_member(file: Path) -> str:
    """The GDAL path of the data set inside a zip (a Shapefile may sit in a sub-folder)."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = [m for m in archive.namelist() if not m.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(_("%(path)s is not a readable zip file.") % {"path": file}) from None
    for suffix in _ZIPPED_SUFFIXES:
        candidates = [m for m in members if m.lower().endswith(suffix)]
        if len(candidates) == 1:
            return f"/vsizip/{file.resolve()}/{candidates[0]}"
        if len(candidates) > 1:
            raise ImportFileError(
                _("The zip holds several data sets (%(names)s); import them one at a time.")
                % {"names": ", ".join(candidates)}
            )
    raise ImportFileError(
        _("The zip holds no Shapefile, GeoPackage or GeoJSON file.") % {"path": file}
    )


def _require_fields(source: Layer, required: dict[str, str]) -> None:
    for option, name in required.items():
        if name not in source.fields:
            raise ImportFileError(
                _("The layer has no field %(field)r. Its fields: %(fields)s. "
                  "Name the right one with %(option)s.")
                % {"field": name, "fields": ", ".join(source.fields) or "-", "option": option}
            )  # fmt: skip


def _features(source: Layer, path: str | Path, source_srid: int | None) -> Iterator[SourceFeature]:
    transform = _transform_to_storage(source, source_srid)
    names = source.fields
    for index, feature in enumerate(source, start=1):
        try:
            values = {name: feature.get(name) for name in names}
        except (GDALException, UnicodeDecodeError):
            values = {}
        yield SourceFeature(index, values, _storage_geometry(feature, transform))


def _transform_to_storage(source: Layer, source_srid: int | None) -> CoordTransform | None:
    try:
        srs = SpatialReference(source_srid) if source_srid else source.srs
    except (SRSException, GDALException):
        raise ImportFileError(
            _("EPSG:%(srid)s is not a coordinate reference system GDAL knows.")
            % {"srid": source_srid}
        ) from None
    if srs is None:
        raise ImportFileError(
            _("The file does not say which coordinate reference system it uses. "
              "Give it with --srid (e.g. --srid 25832).")
        )  # fmt: skip
    target = SpatialReference(STORAGE_SRID)
    if srs.srid == STORAGE_SRID:
        return None
    return CoordTransform(srs, target)


def _storage_geometry(feature: Any, transform: CoordTransform | None) -> GEOSGeometry | None:
    """The feature's geometry in EPSG:4326, or None; refusals are decided later, per feature."""
    try:
        geometry: OGRGeometry = feature.geom
    except GDALException:
        return None  # no geometry at all
    try:
        # Heights (Z) and measures (M) have no place in the 2D storage columns.
        geometry.set_3d(False)
        geometry.set_measured(False)
        if transform is not None:
            geometry.transform(transform)
        result = geometry.geos
    except (GDALException, GEOSException):
        return _UNTRANSFORMABLE
    result.srid = STORAGE_SRID
    return result


# A marker for "the coordinates could not be transformed"; distinct from a missing geometry.
_UNTRANSFORMABLE = GEOSGeometry("POINT EMPTY", srid=STORAGE_SRID)


def _checked(geometry: GEOSGeometry | None, field_name: str) -> GEOSGeometry:
    if geometry is None:
        raise FeatureRefused(field_name, _("The feature has no geometry."))
    if geometry is _UNTRANSFORMABLE:
        raise FeatureRefused(
            field_name, _("The coordinates cannot be converted to WGS 84 (EPSG:4326).")
        )
    if geometry.empty:
        raise FeatureRefused(field_name, _("The geometry is empty."))
    x1, y1, x2, y2 = geometry.extent
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or not (
        -180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90
    ):
        raise FeatureRefused(
            field_name,
            _("After conversion to WGS 84 the coordinates lie outside -180..180 / -90..90: "
              "is the file's coordinate reference system right?"),
        )  # fmt: skip
    return geometry


def _site_geometry(
    geometry: GEOSGeometry | None,
) -> tuple[GEOSGeometry | None, GEOSGeometry | None]:
    """(location, outline) of a site from a point or a polygon feature."""
    geometry = _checked(geometry, "geometry")
    if isinstance(geometry, MultiPoint) and len(geometry) == 1:
        geometry = geometry[0]
        geometry.srid = STORAGE_SRID
    if geometry.geom_type == "Point":
        return geometry, None
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return None, geometry
    raise FeatureRefused(
        "geometry",
        _("A site is a point or a polygon, not a %(kind)s.") % {"kind": geometry.geom_type},
    )


def _site_kind(raw: object, default: str | None) -> str:
    value = _text(raw)
    if not value:
        if default is None:
            raise FeatureRefused("kind", _("The kind is missing."))
        value = default
    wanted = value.casefold()
    for code, label in Site.Kind.choices:
        # The code or the label in any of the site's languages ("lot", "Vacant lot", German).
        names = {code.casefold()}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.add(str(label).casefold())
        if wanted in names:
            return code
    raise FeatureRefused(
        "kind",
        _("Unknown kind %(kind)r. Known kinds: %(kinds)s.")
        % {"kind": value, "kinds": ", ".join(Site.Kind.values)},
    )


def _population(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        number = float(str(raw).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        raise FeatureRefused(
            "population", _("The population must be a whole number of at least 0.")
        )
    return int(number)


def _unique_area_slug(name: str) -> str:
    base = slugify(name)[:180] or "gebiet"
    slug, n = base, 2
    while Area.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _external_id(raw: object) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # GDAL reads numeric ids of some files as reals: 17.0 is "17"
    value = _text(raw)
    return value or None


def _required_text(raw: object, field_name: str, reason: str) -> str:
    value = _text(raw)
    if not value:
        raise FeatureRefused(field_name, reason)
    return value


def _text(raw: object) -> str:
    return "" if raw is None else str(raw).strip()


def _json_value(value: object) -> object:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _message_dict(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: [str(m) for m in ValidationError(msgs).messages]
                for name, msgs in error.error_dict.items()}  # fmt: skip
    return {NON_FIELD_ERRORS: [str(m) for m in error.messages]}


def _field_label(name: str) -> str:
    return "feature" if name == NON_FIELD_ERRORS else name


def _database_reason(error: Exception) -> str:
    # The first line of PostGIS's message names the problem; the rest is SQL context.
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return _("The database refused the geometry: %(detail)s") % {"detail": detail}
