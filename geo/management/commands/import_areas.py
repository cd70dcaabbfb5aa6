"""`manage.py import_areas`: districts or the city boundary from a GIS file, upserted by id."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.imports import AreaFields, ImportFileError, import_areas
from geo.management.commands._importing import (
    add_common_arguments,
    finish,
    progress_factory,
    quiet_geos_notices,
)
from geo.models import Area


class Command(BaseCommand):
    help = (
        "Import areas (polygons) of one kind from a GIS file in any CRS GDAL knows. All or "
        "nothing: if a feature is refused, nothing is stored (unless --skip-invalid)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument("--kind", required=True, choices=Area.Kind.values)
        parser.add_argument("--population-field", default="population")
        parser.add_argument("--source", default="", help="Where the data comes from (licence).")

    def handle(self, *args: Any, **options: Any) -> None:
        fields = AreaFields(
            id=options["id_field"],
            name=options["name_field"],
            population=options["population_field"],
        )
        try:
            with quiet_geos_notices():
                report = import_areas(
                    options["path"],
                    kind=options["kind"],
                    fields=fields,
                    layer=options["layer"],
                    source_srid=options["srid"],
                    source_name=options["source"],
                    is_approximate=options["approximate"],
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    progress=progress_factory(self, options),
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        finish(self, report, options)
