"""`manage.py import_sites`: sites from GeoJSON, GeoPackage or Shapefile, upserted by id."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.imports import ImportFileError, SiteFields, import_sites
from geo.management.commands._importing import (
    add_common_arguments,
    finish,
    progress_factory,
    quiet_geos_notices,
)
from locations.models import Site


class Command(BaseCommand):
    help = (
        "Import sites (points or polygons) from a GIS file in any CRS GDAL knows. All or "
        "nothing: if a feature is refused, nothing is stored (unless --skip-invalid)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument("--kind-field", default="kind")
        parser.add_argument(
            "--default-kind", choices=Site.Kind.values, help="Kind for features without one."
        )
        parser.add_argument("--description-field", default="description")

    def handle(self, *args: Any, **options: Any) -> None:
        fields = SiteFields(
            id=options["id_field"],
            name=options["name_field"],
            kind=options["kind_field"],
            description=options["description_field"],
            default_kind=options["default_kind"],
        )
        try:
            with quiet_geos_notices():
                report = import_sites(
                    options["path"],
                    fields=fields,
                    layer=options["layer"],
                    source_srid=options["srid"],
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    progress=progress_factory(self, options),
                    is_approximate=options["approximate"],
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        finish(self, report, options)
