"""The import of sites from GIS files (the service behind `manage.py import_sites`).

A file may be a city's own data (an id column, names, kinds, points or polygons) or one of our
exports (`locations/exports.py`), whose own columns are mapped back: `id`, `district` and
`has_outline` are derived and never stored, `slug` finds the site when it has no external id,
the Shapefile's short names (`ext_id`, `descript`, `approx`, and GDAL's cut ones) are read as
the full ones, and the outlines come from the `outline` column or the `site_outlines` layer.

An import updates only what the file holds: a column the file lacks, or an empty value, leaves
the stored value alone unless `clear_empty` is asked for. A site the file does not change is not
written at all, so a round trip through any export changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.gdal import OGRGeometry, SpatialReference
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSGeometry, MultiPoint
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.types import Person
from geo.imports import (
    CityLimit,
    FeatureRefused,
    ImportFileError,
    ImportReport,
    Outcome,
    Progress,
    SourceFeature,
    SourceLayer,
    boolean,
    choose_layer,
    external_id,
    gather,
    json_value,
    log_import,
    no_city_warning,
    read_layers,
    require_fields,
    required_text,
    run_import,
    same_geometry,
    same_text,
    storage_geometry,
    text,
)
from geo.validation import as_storage_multipolygon
from locations.exports import OUTLINE_LAYER
from locations.models import Site
from locations.services import site_save


@dataclass(frozen=True)
class SiteFields:
    id: str = "external_id"
    name: str = "name"
    kind: str = "kind"
    description: str = "description"
    default_kind: str | None = None


# An export's column, then its Shapefile names: ours (`locations/exports.py`), then GDAL's cut.
_ALIASES = {
    "external_id": ("external_id", "ext_id", "external_i"),
    "description": ("description", "descript", "descriptio"),
    "is_approximate": ("is_approximate", "approx", "is_approxi"),
    "has_outline": ("has_outline", "has_outln", "has_outlin"),
}
# Columns an export derives from the stored data: read, never stored (not even as attributes).
_DERIVED = {"id", "district", *_ALIASES["has_outline"]}


def sites_import(
    *,
    path: str | Path,
    fields: SiteFields = SiteFields(),
    layer: str | None = None,
    outline_layer: str | None = None,
    source_srid: int | None = None,
    is_approximate: bool = False,
    clear_empty: bool = False,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], Progress] | None = None,
    actor: Person | None = None,
) -> ImportReport:
    """Create or update one site per feature (found by external id, else by slug).

    All or nothing: one refused feature and nothing is stored (unless `skip_invalid`). Every
    import that is not a dry run is audited.
    """
    layers = read_layers(path, srid=source_srid)
    if outline_layer is None and OUTLINE_LAYER in layers and len(layers) > 1:
        outline_layer = OUTLINE_LAYER
    outlines_source = choose_layer(layers, outline_layer) if outline_layer else None
    source = choose_layer(layers, layer, besides=[outline_layer] if outline_layer else [])
    columns = _Columns.of(source, fields)
    outlines = _outlines(source, outlines_source) if outlines_source else None
    limit = CityLimit.load()

    def save(feature: SourceFeature, key: str) -> tuple[Outcome, tuple[str, ...]]:
        return _save(
            feature,
            source=source,
            columns=columns,
            fields=fields,
            outlines=outlines,
            limit=limit,
            is_approximate=is_approximate,
            clear_empty=clear_empty,
            actor=actor,
        )

    report = run_import(
        source.features,
        key_of=columns.key,
        save=save,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress(len(source)) if progress else None,
    )
    if limit.missing:
        report.warnings.append(no_city_warning())
    log_import(report, kind="sites", path=path, actor=actor, dry_run=dry_run)
    return report


@dataclass(frozen=True)
class _Columns:
    """Which of the layer's columns holds what (None: the file does not say)."""

    id: str | None
    slug: str | None
    name: str
    kind: str | None
    description: str | None
    approximate: str | None
    outline: str | None
    attributes: tuple[str, ...]

    @classmethod
    def of(cls, source: SourceLayer, fields: SiteFields) -> _Columns:
        def pick(option: str, default: str) -> str | None:
            if option != default:  # named by the user: exactly that column
                return option if option in source.fields else None
            return source.field(*_ALIASES.get(default, (default,)))

        id_column = pick(fields.id, SiteFields.id)
        slug_column = source.field("slug")
        if id_column is None and slug_column is None:
            require_fields(source, {"--id-field": fields.id})
        require_fields(source, {"--name-field": fields.name})
        kind_column = fields.kind if fields.kind in source.fields else None
        description = pick(fields.description, SiteFields.description)
        approximate = source.field(*_ALIASES["is_approximate"])
        outline = source.field("outline")
        known = {id_column, slug_column, fields.name, kind_column, description, approximate}
        known |= {outline, *_DERIVED}
        attributes = tuple(f for f in source.fields if f not in known)
        return cls(
            id_column, slug_column, fields.name, kind_column, description, approximate, outline,
            attributes,
        )  # fmt: skip

    def key(self, feature: SourceFeature) -> str | None:
        values = feature.values
        return (
            (external_id(values.get(self.id)) if self.id else None)
            or (text(values.get(self.slug)) if self.slug else None)
            or None
        )


_Outlines = tuple[str, dict[str, tuple[OGRGeometry | None, SpatialReference | None]]]


def _outlines(source: SourceLayer, outlines: SourceLayer) -> _Outlines:
    """The outline layer's polygons by the key the two layers share (`id`, else `slug`)."""
    join = "id" if "id" in source.fields and "id" in outlines.fields else "slug"
    if join not in source.fields or join not in outlines.fields:
        raise ImportFileError(
            _("The layers %(main)s and %(outlines)s share no id or slug column to join them.")
            % {"main": source.name, "outlines": outlines.name}
        )
    return join, {
        text(feature.values.get(join)): (feature.geometry, outlines.srs)
        for feature in outlines.features
        if text(feature.values.get(join))
    }


def _save(
    feature: SourceFeature,
    *,
    source: SourceLayer,
    columns: _Columns,
    fields: SiteFields,
    outlines: _Outlines | None,
    limit: CityLimit,
    is_approximate: bool,
    clear_empty: bool,
    actor: Person | None,
) -> tuple[Outcome, tuple[str, ...]]:
    values = feature.values
    ext_id = external_id(values.get(columns.id)) if columns.id else None
    slug = text(values.get(columns.slug)) if columns.slug else ""
    site = Site.objects.filter(external_id=ext_id).first() if ext_id else None
    if site is None and slug:
        # By slug only a site the file's external id cannot contradict: one with another
        # external id is another site, and the slug then collides (refused, not merged).
        candidate = Site.objects.filter(slug=slug).first()
        if candidate is not None and not (ext_id and candidate.external_id):
            site = candidate

    errors: dict[str, str] = {}
    name = text(values.get(columns.name))
    if site is not None and (
        not name or same_text(site.name, name, width=source.widths.get(columns.name))
    ):
        name = site.name
    gather(errors, lambda: required_text(name, "name", _("The name is missing.")))
    kind = gather(errors, lambda: _kind(values, columns, fields, site))
    approximate = gather(
        errors,
        lambda: (
            boolean(values.get(columns.approximate), columns.approximate)
            if columns.approximate
            else None
        ),
    )
    geometry = gather(errors, lambda: _geometry(feature, source.srs, limit))
    outline_given = gather(errors, lambda: _given_outline(feature, columns, outlines, source))
    if errors:
        raise ValidationError(errors)

    # What the file holds; everything else stays as it is.
    location: GEOSGeometry | None = site.location if site else None
    outline: GEOSGeometry | None = site.outline if site else None
    geometry = cast(GEOSGeometry, geometry)
    if geometry.geom_type == "Point":
        if not same_geometry(location, geometry):
            location = geometry
        if outline_given is not _ABSENT:
            outline = _kept(outline, cast(GEOSGeometry | None, outline_given), clear_empty)
    else:  # a polygon: the outline, the point stays where it is if it lies in it
        if not same_geometry(outline, geometry):
            outline = geometry
            if location is None or not geometry.covers(location):
                location = None  # `site_save` puts it on the outline
    if outline is not None and (site is None or outline is not site.outline):
        limit.check(outline, "outline")

    description = site.description if site else ""
    if columns.description:
        found = text(values.get(columns.description))
        width = source.widths.get(columns.description)
        if found and not same_text(description, found, width=width):
            description = found
        elif not found and clear_empty:
            description = ""
    stored_id = site.external_id if site else None
    if columns.id:
        stored_id = ext_id or (None if clear_empty else stored_id)
    attributes = dict(site.attributes) if site else {}
    for column in columns.attributes:
        value = values.get(column)
        if value is not None and value != "":
            attributes[column] = json_value(value)
        elif clear_empty:
            attributes.pop(column, None)
    approximate_value = bool(
        is_approximate
        or (approximate if approximate is not None else site.is_approximate if site else False)
    )

    wanted: dict[str, Any] = {
        "name": name,
        "slug": slug or (site.slug if site else ""),
        "kind": kind,
        "description": description,
        "external_id": stored_id,
        "is_approximate": approximate_value,
        "attributes": attributes,
    }
    if site is not None:
        changed = [k for k, v in wanted.items() if getattr(site, k) != v]
        if location is not site.location:
            changed.append("location")
        if outline is not site.outline:
            changed.append("outline")
        if not changed:
            return "unchanged", ()
    site_save(
        site=site,
        name=name,
        kind=cast(str, kind),
        location=location,
        outline=outline,
        description=description,
        attributes=attributes,
        external_id=stored_id,
        slug=wanted["slug"] or None,
        is_approximate=approximate_value,
        actor=actor,
    )
    return ("updated", tuple(changed)) if site is not None else ("created", ())


# "The file says nothing about this site's outline" (distinct from "it has none").
_ABSENT = object()


def _kept(stored: GEOSGeometry | None, found: GEOSGeometry | None, clear: bool) -> Any:
    if found is None:
        return None if clear else stored
    return stored if same_geometry(stored, found) else found


def _geometry(feature: SourceFeature, srs: SpatialReference | None, limit: CityLimit) -> Any:
    geometry = storage_geometry(feature.geometry, srs)
    if isinstance(geometry, MultiPoint) and len(geometry) == 1:
        geometry = geometry[0]
        geometry.srid = geometry.srid or 4326
    if geometry.geom_type == "Point":
        limit.check(geometry, "geometry")
        return geometry
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        polygon = _polygon(geometry, "outline")
        limit.check(polygon, "geometry")
        return polygon
    raise FeatureRefused(
        "geometry",
        _("A site is a point or a polygon, not a %(kind)s.") % {"kind": geometry.geom_type},
    )


def _given_outline(
    feature: SourceFeature,
    columns: _Columns,
    outlines: _Outlines | None,
    source: SourceLayer,
) -> Any:
    """The outline the file gives for this feature: a geometry, None (it has none), or absent."""
    if columns.outline is not None:
        raw = text(feature.values.get(columns.outline))
        if not raw:
            return None
        try:
            parsed = OGRGeometry(raw)
        except (GDALException, ValueError, TypeError):
            if source.is_shapefile:
                reason = _(
                    "The outline text is cut: a Shapefile keeps at most 254 characters. "
                    "Export as Shapefile here to get the outlines as their own layer."
                )
            else:
                reason = _("The outline is neither GeoJSON nor WKT of a polygon.")
            raise FeatureRefused("outline", reason) from None
        return _polygon(storage_geometry(parsed, source.srs, field_name="outline"), "outline")
    if outlines is not None:
        join, polygons = outlines
        found = polygons.get(text(feature.values.get(join)))
        if found is None:
            return None
        raw_geometry, srs = found
        return _polygon(storage_geometry(raw_geometry, srs, field_name="outline"), "outline")
    return _ABSENT


def _polygon(geometry: GEOSGeometry, field_name: str) -> GEOSGeometry:
    try:
        return as_storage_multipolygon(geometry, field=field_name)
    except ValidationError as error:
        raise FeatureRefused(field_name, " ".join(error.message_dict[field_name])) from None


def _kind(values: dict[str, Any], columns: _Columns, fields: SiteFields, site: Site | None) -> str:
    raw = text(values.get(columns.kind)) if columns.kind else ""
    if not raw:
        if site is not None:
            return site.kind
        if fields.default_kind is None:
            if columns.kind is None:
                raise FeatureRefused(
                    "kind",
                    _(
                        "A new site needs a kind, and the file has no column %(field)r: name "
                        "one with --kind-field, or give --default-kind."
                    )
                    % {"field": fields.kind},
                )
            raise FeatureRefused("kind", _("The kind is missing."))
        raw = fields.default_kind
    wanted = raw.casefold()
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
        % {"kind": raw, "kinds": ", ".join(Site.Kind.values)},
    )
