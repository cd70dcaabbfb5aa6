"""Imports from GIS files: the mechanism (reading with GDAL or as CSV, checking each geometry,
the all-or-nothing run with a per-feature report) and geo's own import, the areas.

What a site is, and how a file's columns become one, lives with the sites (`locations/`).
"""

from __future__ import annotations

import csv
import datetime
import getpass
import io
import json
import logging
import math
import struct
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.gdal import CoordTransform, DataSource, OGRGeometry, SpatialReference
from django.contrib.gis.gdal.error import GDALException, SRSException
from django.contrib.gis.gdal.layer import Layer
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.services import log_event
from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.models import Area
from geo.services import area_save
from geo.validation import as_storage_multipolygon, check_extent

T = TypeVar("T")
Outcome = Literal["created", "updated", "unchanged", "refused"]

# What a zip may hold, in order of preference when it holds several.
_ZIPPED_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".csv")
# Coordinates differing by less than this (degrees, about 1 cm) are the same place: an export
# rounds to it, and a transformation there and back moves points by far less.
GEOMETRY_TOLERANCE = 1e-7
# No projected coordinate of a real place is larger (the Earth is 4e7 m around); PROJ spins for
# seconds on absurd ones (1e20), so they are refused before any transformation.
_MAX_PROJECTED = 1e8


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
        return f"{_where(self.index, self.feature_id)}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class FeatureResult:
    """What became of one feature: created, updated (which fields), unchanged or refused."""

    index: int
    key: str | None
    outcome: Outcome
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = _where(self.index, self.key)
        if self.outcome == "created":
            return _("%(where)s: created") % {"where": where}
        if self.outcome == "updated":
            return _("%(where)s: updated %(fields)s") % {
                "where": where,
                "fields": ", ".join(self.fields),
            }
        if self.outcome == "unchanged":
            return _("%(where)s: unchanged") % {"where": where}
        return _("%(where)s: refused") % {"where": where}


@dataclass
class ImportReport:
    total: int = 0
    results: list[FeatureResult] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stored: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def refused_features(self) -> int:
        return len({refusal.index for refusal in self.refused})


def _where(index: int, key: str | None) -> str:
    where = _("feature %(index)d") % {"index": index}
    if key:
        where += f" (id {key!r})"
    return where


@dataclass(frozen=True)
class SourceFeature:
    index: int
    values: dict[str, Any]
    geometry: OGRGeometry | None  # as in the file, in the layer's CRS; None when absent


@dataclass
class SourceLayer:
    """A layer read from a file: its field names, CRS and features."""

    name: str
    fields: list[str]
    srs: SpatialReference | None
    features: list[SourceFeature]
    is_shapefile: bool = False
    # dBASE text widths (bytes) of a Shapefile's fields: longer values were cut to them.
    widths: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.features)

    def field(self, *names: str) -> str | None:
        """The first of `names` the layer has (an export's own name, then its short forms)."""
        return next((name for name in names if name in self.fields), None)


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


# Reading files


@contextmanager
def gdal_messages() -> Iterator[list[str]]:
    """GDAL's and GEOS's own error messages, collected instead of printed.

    Django logs them (logger `django.contrib.gis`), and in a command they would appear next to
    our message saying the same; our messages quote them where they help.
    """
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(_gdal_text(record.getMessage()))

    logger = logging.getLogger("django.contrib.gis")
    handler = Collect(level=logging.DEBUG)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _gdal_text(message: str) -> str:
    # Django logs `GDAL_ERROR 1: b'text'` and `GEOS_ERROR: text`: keep the text.
    text = message.split(":", 1)[1].strip() if message.startswith(("GDAL_", "GEOS_")) else message
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return text


def read_layers(path: str | Path, *, srid: int | None = None) -> dict[str, SourceLayer]:
    """Every layer of a GeoJSON, GeoPackage, Shapefile, CSV, or a zip holding one.

    CSV is read here, not by GDAL: a CSV names no CRS (`srid` gives it), and its geometry is a
    `WKT` column or `X`/`Y` columns, as the exports write them.
    """
    file = Path(path)
    if not file.exists():
        raise ImportFileError(_("There is no file %(path)s.") % {"path": file})
    if file.suffix.lower() == ".csv":
        return {file.stem: _read_csv(file, srid)}
    name = _zip_target(file) if file.suffix.lower() == ".zip" else str(file)
    if file.suffix.lower() != ".zip":
        with file.open("rb") as opened:
            _refuse_truncated(opened.read(100), file.stat().st_size, file)
    with gdal_messages() as messages:
        try:
            datasource = DataSource(name)
        except GDALException:
            raise ImportFileError(_unreadable(file, messages)) from None
        layers = {}
        shapefile = str(datasource.driver) == "ESRI Shapefile"
        for i in range(datasource.layer_count):
            layer = datasource[i]
            layers[layer.name] = _read_gdal_layer(layer, srid, file, messages, shapefile)
    if not layers:
        raise ImportFileError(_("The file %(path)s holds no layer.") % {"path": file})
    return layers


def choose_layer(
    layers: Mapping[str, SourceLayer], wanted: str | None, *, besides: Iterable[str] = ()
) -> SourceLayer:
    """The layer named `wanted`, or the only one left once the `besides` layers are set aside."""
    names = list(layers)
    if wanted is not None:
        if wanted not in layers:
            raise ImportFileError(
                _("The file has no layer %(layer)r. Its layers: %(layers)s.")
                % {"layer": wanted, "layers": ", ".join(names) or "-"}
            )
        return layers[wanted]
    candidates = [name for name in names if name not in set(besides)]
    if len(candidates) != 1:
        raise ImportFileError(
            _("The file has %(count)d layers (%(layers)s): choose one with --layer.")
            % {"count": len(names), "layers": ", ".join(names) or "-"}
        )
    return layers[candidates[0]]


def _read_gdal_layer(
    layer: Layer, srid: int | None, file: Path, messages: list[str], shapefile: bool
) -> SourceLayer:
    srs = _layer_srs(layer.srs, srid)
    names = list(layer.fields)
    features = []
    try:
        for index, feature in enumerate(layer, start=1):
            try:
                values = {name: feature.get(name) for name in names}
            except (GDALException, UnicodeDecodeError):
                values = {}
            try:
                geometry: OGRGeometry | None = feature.geom.clone()
            except GDALException:
                geometry = None  # no geometry at all
            features.append(SourceFeature(index, values, geometry))
    except GDALException:
        raise ImportFileError(
            _("GDAL stopped reading %(path)s after %(count)d features: %(error)s")
            % {"path": file, "count": len(features), "error": _last(messages)}
        ) from None
    widths = dict(zip(names, layer.field_widths, strict=True)) if shapefile else {}
    return SourceLayer(layer.name, names, srs, features, is_shapefile=shapefile, widths=widths)


def _layer_srs(found: SpatialReference | None, srid: int | None) -> SpatialReference | None:
    if not srid:
        return found
    try:
        return SpatialReference(srid)
    except (SRSException, GDALException):
        raise ImportFileError(
            _("EPSG:%(srid)s is not a coordinate reference system GDAL knows.") % {"srid": srid}
        ) from None


def _read_csv(file: Path, srid: int | None) -> SourceLayer:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("%(path)s is not UTF-8 text.") % {"path": file}) from None
    try:
        # Not split into lines first: a quoted value may hold line breaks.
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
        fields = list(reader.fieldnames or [])
    except csv.Error as error:
        raise ImportFileError(
            _("%(path)s is not a readable CSV file: %(error)s") % {"path": file, "error": error}
        ) from None
    if srid is None:
        raise ImportFileError(
            _("A CSV file does not say which coordinate reference system it uses. Give it "
              "with --srid (the exports' file names say it: …-epsg25832.csv is --srid 25832).")
        )  # fmt: skip
    if "WKT" not in fields and not {"X", "Y"} <= set(fields):
        raise ImportFileError(
            _("The CSV file has no geometry: a WKT column, or X and Y columns, are needed. "
              "Its columns: %(fields)s.")
            % {"fields": ", ".join(fields) or "-"}
        )  # fmt: skip
    features = []
    for index, row in enumerate(rows, start=1):
        values: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items() if k}
        features.append(SourceFeature(index, values, _csv_geometry(values)))
    return SourceLayer(file.stem, [f for f in fields if f], _layer_srs(None, srid), features)


def _csv_geometry(values: dict[str, Any]) -> OGRGeometry | None:
    wkt = values.pop("WKT", None)
    x, y = values.pop("X", None), values.pop("Y", None)
    try:
        if wkt:
            return OGRGeometry(str(wkt))
        if x is not None and y is not None:
            return OGRGeometry(f"POINT ({float(x)!r} {float(y)!r})")
    except (GDALException, ValueError):
        return _UNREADABLE
    return None


# A marker for "the geometry text could not be read"; distinct from a missing geometry.
_UNREADABLE = OGRGeometry("POINT EMPTY")


def _zip_target(file: Path) -> str:
    """The GDAL path of the data inside a zip: a Shapefile's folder holds all its layers."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = [m for m in archive.infolist() if not m.filename.startswith("__MACOSX/")]
            broken = archive.testzip()
            for member in members:
                if member.filename.lower().endswith(".shp"):
                    with archive.open(member) as opened:
                        _refuse_truncated(opened.read(100), member.file_size, file)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ImportFileError(
            _("%(path)s is not a readable zip file (is it truncated?).") % {"path": file}
        ) from None
    if broken is not None:
        raise ImportFileError(
            _("%(path)s is damaged: %(member)s cannot be unpacked.")
            % {"path": file, "member": broken}
        )
    names = [m.filename for m in members]
    for suffix in _ZIPPED_SUFFIXES:
        candidates = [m for m in names if m.lower().endswith(suffix)]
        if not candidates:
            continue
        folders = {m.rsplit("/", 1)[0] if "/" in m else "" for m in candidates}
        if suffix == ".shp" and len(folders) == 1:
            # The folder, so that GDAL opens every Shapefile in it as one layer each.
            return f"/vsizip/{file.resolve()}/{folders.pop()}".rstrip("/")
        if len(candidates) == 1:
            return f"/vsizip/{file.resolve()}/{candidates[0]}"
        raise ImportFileError(
            _("The zip holds several data sets (%(names)s); import them one at a time.")
            % {"names": ", ".join(candidates)}
        )
    raise ImportFileError(_("The zip holds no Shapefile, GeoPackage or GeoJSON file."))


def _refuse_truncated(head: bytes, size: int, file: Path) -> None:
    """Files that say how long they are, and are shorter: GDAL would read a part silently."""
    truncated = _("%(path)s is truncated: it has %(size)d of the %(expected)d bytes it announces.")
    if head[:4] == b"\x00\x00'\n" and len(head) >= 28:  # a Shapefile's .shp: file code 9994
        expected = struct.unpack(">i", head[24:28])[0] * 2
        if size < expected:
            raise ImportFileError(truncated % {"path": file, "size": size, "expected": expected})
    if head.startswith(b"SQLite format 3\x00") and len(head) >= 32:  # a GeoPackage
        page = struct.unpack(">H", head[16:18])[0]
        page = 65536 if page == 1 else page
        expected = page * struct.unpack(">I", head[28:32])[0]
        if size < expected:
            raise ImportFileError(truncated % {"path": file, "size": size, "expected": expected})


def _unreadable(file: Path, messages: list[str]) -> str:
    """Why GDAL could not open the file, as precisely as the file lets us say."""
    try:
        head = file.read_bytes()
    except OSError:
        head = b""
    text = head.decode("utf-8", errors="replace").strip()
    if text.startswith(("{", "[")):
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            # It stopped at the end (more was to come), or inside a string that never closes.
            unterminated = error.msg.startswith("Unterminated string") and (
                '"' not in text[error.pos + 1 :]
            )
            if error.pos >= len(text) or unterminated:
                return _(
                    "%(path)s is truncated: its JSON ends before the document does "
                    "(after %(size)d bytes)."
                ) % {"path": file, "size": len(head)}
            return _(
                "%(path)s is not valid JSON: %(error)s at line %(line)d, column %(column)d."
            ) % {"path": file, "error": error.msg, "line": error.lineno, "column": error.colno}
        return _("%(path)s is JSON, but not GeoJSON GDAL can read: %(error)s") % {
            "path": file,
            "error": _last(messages),
        }
    if messages:
        return _(
            "GDAL cannot read %(path)s (%(error)s). Is it a GeoJSON, GeoPackage, Shapefile or "
            "CSV file?"
        ) % {"path": file, "error": messages[-1]}
    return _(
        "GDAL cannot read %(path)s: it is no GeoJSON, GeoPackage, Shapefile or CSV file GDAL "
        "recognises."
    ) % {"path": file}


def _last(messages: Sequence[str]) -> str:
    return messages[-1] if messages else _("no reason given")


# Geometry


def storage_geometry(
    raw: OGRGeometry | None, srs: SpatialReference | None, *, field_name: str = "geometry"
) -> GEOSGeometry:
    """A file's geometry, checked before and after transformation, in EPSG:4326.

    Each problem has its own message: an unclosed ring is not a CRS problem.
    """
    if raw is None:
        raise FeatureRefused(field_name, _("The feature has no geometry."))
    if raw is _UNREADABLE:
        raise FeatureRefused(field_name, _("The geometry text is neither WKT nor coordinates."))
    if raw.empty:
        raise FeatureRefused(field_name, _("The geometry is empty."))
    if srs is None:
        raise FeatureRefused(
            field_name,
            _("The file does not say which coordinate reference system it uses. "
              "Give it with --srid (e.g. --srid 25832)."),
        )  # fmt: skip
    geometry = raw.clone()
    _check_rings(geometry, field_name)
    # Heights (Z) and measures (M) have no place in the 2D storage columns.
    geometry.set_3d(False)
    geometry.set_measured(False)
    x1, y1, x2, y2 = geometry.extent
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise FeatureRefused(field_name, _("The file's coordinates must be finite numbers."))
    limit = 360.0 if srs.geographic else _MAX_PROJECTED
    if max(abs(x1), abs(x2), abs(y1), abs(y2)) > limit:
        raise FeatureRefused(
            field_name,
            _("The coordinates (x %(x1).6g to %(x2).6g, y %(y1).6g to %(y2).6g) are impossible "
              "in %(crs)s: is that the file's coordinate reference system?")
            % {"x1": x1, "x2": x2, "y1": y1, "y2": y2, "crs": _crs_name(srs)},
        )  # fmt: skip
    if srs.srid is not None:
        # A CRS with an EPSG code: its own area of use, the same check as every outside geometry.
        try:
            check_extent((x1, y1, x2, y2), srs.srid, field=field_name)
        except ValidationError as exc:
            raise FeatureRefused(field_name, " ".join(exc.messages)) from None
    with gdal_messages() as messages:
        if srs.srid != STORAGE_SRID:
            try:
                geometry.transform(CoordTransform(srs, SpatialReference(STORAGE_SRID)))
            except GDALException:
                raise FeatureRefused(
                    field_name,
                    _("The coordinates cannot be converted from %(crs)s to WGS 84 (EPSG:4326).")
                    % {"crs": _crs_name(srs)},
                ) from None
        try:
            result = GEOSGeometry(geometry.wkb, srid=STORAGE_SRID)
        except (GEOSException, GDALException, ValueError):
            raise FeatureRefused(
                field_name,
                _("GEOS cannot read the geometry: %(error)s") % {"error": _last(messages)},
            ) from None
    x1, y1, x2, y2 = result.extent
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or not (
        -180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90
    ):
        raise FeatureRefused(
            field_name,
            _("After conversion to WGS 84 the coordinates lie outside -180..180 / -90..90: "
              "is the file's coordinate reference system right?"),
        )  # fmt: skip
    return result


def _check_rings(geometry: OGRGeometry, field_name: str) -> None:
    polygons: list[OGRGeometry] = []
    if geometry.geom_name == "POLYGON":
        polygons = [geometry]
    elif geometry.geom_name == "MULTIPOLYGON":
        polygons = list(cast(Iterable[OGRGeometry], geometry))
    for polygon in polygons:
        for number, ring in enumerate(cast(Iterable[OGRGeometry], polygon), start=1):
            points = ring.tuple  # type: ignore[attr-defined]  # OGR's rings are line strings
            if len(points) < 4 or points[0][:2] != points[-1][:2]:
                raise FeatureRefused(
                    field_name,
                    _("Ring %(number)d of the polygon is not closed: it starts at %(first)s "
                      "and ends at %(last)s (%(count)d points; a ring needs at least 4, the "
                      "last repeating the first).")
                    % {"number": number, "first": _coords(points[0]),
                       "last": _coords(points[-1]), "count": len(points)},
                )  # fmt: skip


def _coords(point: Sequence[float]) -> str:
    return "(" + " ".join(f"{v:.10g}" for v in point[:2]) + ")"


def _crs_name(srs: SpatialReference) -> str:
    return f"EPSG:{srs.srid}" if srs.srid else (srs.name or "?")


def same_geometry(a: GEOSGeometry | None, b: GEOSGeometry | None) -> bool:
    """Whether two geometries are the same within the exports' precision (see the tolerance)."""
    if a is None or b is None:
        return a is None and b is None
    if a.geom_type != b.geom_type:
        return False
    # Normalised first: a Shapefile turns outer rings clockwise, and a ring may start elsewhere.
    return bool(a.normalize(clone=True).equals_exact(b.normalize(clone=True), GEOMETRY_TOLERANCE))


@dataclass(frozen=True)
class CityLimit:
    """Where imported sites and districts may lie: the city boundary plus a margin.

    Without a stored city boundary nothing can be checked; `missing` says so (import the
    boundary first with `import_areas --kind city`).
    """

    area: GEOSGeometry | None  # in EPSG:4326, the margin included
    margin: int

    @classmethod
    def load(cls) -> CityLimit:
        margin = int(settings.IMPORT_CITY_MARGIN_M)
        cities = [a.geometry for a in Area.objects.filter(kind=Area.Kind.CITY)]
        if not cities:
            return cls(None, margin)
        union: GEOSGeometry = cities[0]
        for other in cities[1:]:
            union = union.union(other)
        metric = union.transform(METRIC_SRID, clone=True)
        area = metric.buffer(margin).transform(STORAGE_SRID, clone=True) if margin else union
        return cls(area, margin)

    @property
    def missing(self) -> bool:
        return self.area is None

    def check(self, geometry: GEOSGeometry, field_name: str) -> None:
        if self.area is None or self.area.prepared.covers(geometry):
            return
        centre = geometry.point_on_surface
        raise FeatureRefused(
            field_name,
            _("The geometry lies outside the city (its boundary plus %(margin)d m); a point of "
              "it is at longitude %(lon).5f, latitude %(lat).5f. Is the file's coordinate "
              "reference system right?")
            % {"margin": self.margin, "lon": centre.x, "lat": centre.y},
        )  # fmt: skip


def no_city_warning() -> str:
    return _(
        "No city boundary is stored, so the features were not checked to lie within the city. "
        "Import it first: import_areas --kind city."
    )


# The run


def run_import(
    features: Sequence[SourceFeature],
    *,
    key_of: Callable[[SourceFeature], str | None],
    save: Callable[[SourceFeature, str], tuple[Outcome, tuple[str, ...]]],
    dry_run: bool,
    skip_invalid: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Each feature in a savepoint; all or nothing is kept (unless `skip_invalid`)."""
    report = ImportReport()
    progress = progress or Progress(0)
    seen: dict[str, int] = {}
    with transaction.atomic(), gdal_messages():
        for feature in features:
            report.total += 1
            key = key_of(feature)
            refusals: list[Refusal] = []
            try:
                if key is None:
                    raise FeatureRefused("external_id", _("The id is missing."))
                if key in seen:
                    raise FeatureRefused(
                        "external_id",
                        _("The id appears twice in the file (also feature %(index)d).")
                        % {"index": seen[key]},
                    )
                seen[key] = feature.index
                # A savepoint per feature: a refused one leaves the others' work intact.
                with transaction.atomic():
                    outcome, changed = save(feature, key)
                report.results.append(FeatureResult(feature.index, key, outcome, changed))
            except FeatureRefused as refusal:
                refusals.append(Refusal(feature.index, key, refusal.field, refusal.reason))
            except ValidationError as error:
                refusals.extend(
                    Refusal(feature.index, key, _field_label(name), " ".join(messages))
                    for name, messages in _message_dict(error).items()
                )
            except (DatabaseError, GEOSException, GDALException) as error:
                refusals.append(Refusal(feature.index, key, "geometry", _database_reason(error)))
            if refusals:
                report.refused.extend(refusals)
                report.results.append(FeatureResult(feature.index, key, "refused"))
            progress.update(report.total)
        progress.finish()
        report.stored = not dry_run and (skip_invalid or not report.refused)
        if not report.stored:
            # Everything was validated against the database, and now nothing is kept.
            transaction.set_rollback(True)
    return report


def log_import(
    report: ImportReport,
    *,
    kind: str,
    path: str | Path,
    actor: User | AnonymousUser | None,
    dry_run: bool,
) -> None:
    """An audit entry for an import that stored something or was refused (not a dry run)."""
    if dry_run:
        return
    log_event(
        actor=actor,
        action="import",
        object_type=f"import.{kind}",
        after={
            "file": str(Path(path).resolve()),
            "system_user": _system_user(),
            "stored": report.stored,
            "features": report.total,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "refused": report.refused_features,
            "changes": {
                str(r.key): r.outcome if r.outcome == "created" else list(r.fields)
                for r in report.results
                if r.outcome in ("created", "updated")
            },
        },
    )


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def gather(errors: dict[str, str], check: Callable[[], T]) -> T | None:
    """The check's result; a refusal goes into `errors`, so one report lists every problem."""
    try:
        return check()
    except FeatureRefused as refusal:
        errors[refusal.field] = refusal.reason
        return None


# Values


def text(raw: object) -> str:
    return "" if raw is None else str(raw).strip()


def required_text(raw: object, field_name: str, reason: str) -> str:
    value = text(raw)
    if not value:
        raise FeatureRefused(field_name, reason)
    return value


def external_id(raw: object) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # GDAL reads numeric ids of some files as reals: 17.0 is "17"
    value = text(raw)
    return value or None


_TRUE = {"1", "true", "t", "yes", "y", "ja", "wahr"}
_FALSE = {"0", "false", "f", "no", "n", "nein", "falsch"}


def boolean(raw: object, field_name: str) -> bool | None:
    """True/False from a file's value (GDAL gives 1/0, CSV text); None when empty."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().casefold()
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FeatureRefused(field_name, _("Expected yes or no (true/false, 1/0), not %(value)r.")
                         % {"value": raw})  # fmt: skip


def json_value(value: object) -> object:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def same_text(stored: str, found: str, *, width: int | None = None) -> bool:
    """Whether a file's text is the stored one; a Shapefile keeps only `width` bytes of it
    (at most 254), so a stored text that begins with a value cut there is the same."""
    stored, found = stored.strip(), found.strip()  # files lose leading and trailing blanks
    if stored == found:
        return True
    # A cut can fall inside a character of up to 4 bytes, which GDAL then drops.
    cut = width is not None and len(found.encode()) >= width - 3
    return cut and stored.startswith(found)


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


# geo's own import: named areas (districts, the city boundary)


@dataclass(frozen=True)
class AreaFields:
    id: str = "external_id"
    name: str = "name"
    population: str = "population"


# The districts export's own columns, and their Shapefile forms (ours, then GDAL's cut ones).
_AREA_ALIASES = {
    "external_id": ("external_id", "ext_id", "external_i"),
    "is_approximate": ("is_approximate", "approx", "is_approxi"),
}


def import_areas(
    path: str | Path,
    *,
    kind: str,
    fields: AreaFields = AreaFields(),
    layer: str | None = None,
    source_srid: int | None = None,
    source_name: str = "",
    is_approximate: bool = False,
    clear_empty: bool = False,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], Progress] | None = None,
    actor: User | AnonymousUser | None = None,
) -> ImportReport:
    """Create or update (by external id, else by an export's slug) one area of `kind` per
    polygon feature. A value the file does not give is kept unless `clear_empty`.

    Districts must lie within the city boundary (plus the margin setting).
    """
    if kind not in Area.Kind.values:
        raise ImportFileError(
            _("Unknown kind of area. Choose one of: %(kinds)s.")
            % {"kinds": ", ".join(Area.Kind.values)}
        )
    source = choose_layer(read_layers(path, srid=source_srid), layer)
    id_field = (
        source.field(*_AREA_ALIASES["external_id"]) if fields.id == AreaFields.id else fields.id
    )
    slug_field = source.field("slug")  # an export's own: finds an area without external id
    if id_field is None and slug_field is None:
        require_fields(source, {"--id-field": fields.id})
    require_fields(source, {"--name-field": fields.name})
    has_population = fields.population in source.fields
    approx_field = source.field(*_AREA_ALIASES["is_approximate"])
    limit = CityLimit.load() if kind == Area.Kind.DISTRICT else CityLimit(None, 0)

    def save(feature: SourceFeature, _key: str) -> tuple[Outcome, tuple[str, ...]]:
        values = feature.values
        errors: dict[str, str] = {}
        name = gather(
            errors,
            lambda: required_text(values.get(fields.name), "name", _("The name is missing.")),
        )
        population = gather(
            errors,
            lambda: _population(values.get(fields.population)) if has_population else None,
        )
        approximate = gather(
            errors,
            lambda: boolean(values.get(approx_field), approx_field) if approx_field else None,
        )
        geometry = gather(errors, lambda: _area_geometry(feature, source.srs, limit))
        if errors:
            raise ValidationError(errors)
        existing = _existing_area(values, id_field, slug_field)
        name = cast(str, name)  # set: `errors` would have said otherwise
        if existing is not None and population is None and not clear_empty:
            population = existing.population  # the file does not say: kept
        ext_id = external_id(values.get(id_field)) if id_field else None
        if existing is not None and ext_id is None and not clear_empty:
            ext_id = existing.external_id
        wanted = {
            "name": name,
            "kind": kind,
            "population": population,
            "external_id": ext_id,
            "source": source_name or (existing.source if existing else ""),
            "is_approximate": bool(
                is_approximate or (approximate if approximate is not None else
                                   existing.is_approximate if existing else False)
            ),
        }  # fmt: skip
        changed: list[str] = []
        if existing is not None:
            changed = [k for k, v in wanted.items() if getattr(existing, k) != v]
            if not same_geometry(existing.geometry, geometry):
                changed.append("geometry")
            if not changed:
                return "unchanged", ()
        area_save(
            name=name,
            slug=existing.slug if existing else _unique_area_slug(name),
            kind=kind,
            geometry=existing.geometry
            if existing and "geometry" not in changed
            else cast(GEOSGeometry, geometry),
            population=population,
            external_id=ext_id,
            source=cast(str, wanted["source"]),
            is_approximate=cast(bool, wanted["is_approximate"]),
        )
        return ("updated", tuple(changed)) if existing else ("created", ())

    report = run_import(
        source.features,
        key_of=lambda feature: (
            (external_id(feature.values.get(id_field)) if id_field else None)
            or (text(feature.values.get(slug_field)) if slug_field else None)
            or None
        ),
        save=save,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress(len(source)) if progress else None,
    )
    if kind == Area.Kind.DISTRICT and limit.missing:
        report.warnings.append(no_city_warning())
    log_import(report, kind=f"areas.{kind}", path=path, actor=actor, dry_run=dry_run)
    return report


def _existing_area(
    values: Mapping[str, Any], id_field: str | None, slug_field: str | None
) -> Area | None:
    ext_id = external_id(values.get(id_field)) if id_field else None
    if ext_id is not None and (area := Area.objects.filter(external_id=ext_id).first()):
        return area
    slug = text(values.get(slug_field)) if slug_field else ""
    area = Area.objects.filter(slug=slug).first() if slug else None
    # By slug only an area the file's external id cannot contradict.
    return area if area is not None and not (ext_id and area.external_id) else None


def _area_geometry(
    feature: SourceFeature, srs: SpatialReference | None, limit: CityLimit
) -> MultiPolygon:
    geometry = storage_geometry(feature.geometry, srs)
    try:
        polygon = as_storage_multipolygon(geometry, field="geometry")
    except ValidationError as error:
        raise FeatureRefused("geometry", " ".join(error.message_dict["geometry"])) from None
    limit.check(polygon, "geometry")
    return polygon


def require_fields(source: SourceLayer, required: dict[str, str]) -> None:
    for option, name in required.items():
        if name not in source.fields:
            raise ImportFileError(
                _("The layer has no field %(field)r. Its fields: %(fields)s. "
                  "Name the right one with %(option)s.")
                % {"field": name, "fields": ", ".join(source.fields) or "-", "option": option}
            )  # fmt: skip


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
