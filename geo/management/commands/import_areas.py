"""`manage.py import_areas`: districts or the city boundary from a GIS file, upserted by id."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.imports import AreaFields, ImportFileError, gdal_messages, import_areas
from geo.management.commands._importing import (
    add_common_arguments,
    command_actor,
    finish,
    progress_factory,
)
from geo.models import Area


class Command(BaseCommand):
    help = (
        "Import areas (polygons) of one kind from a GIS file in any CRS GDAL knows. Districts "
        "must lie within the city boundary (plus IMPORT_CITY_MARGIN_M). All or nothing: if a "
        "feature is refused, nothing is stored (unless --skip-invalid), and the exit status "
        "is 1."
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
        actor, _who = command_actor(options["user"])
        try:
            # GDAL's and GEOS's own messages are quoted in ours, not printed beside them.
            with gdal_messages():
                report = import_areas(
                    options["path"],
                    kind=options["kind"],
                    fields=fields,
                    layer=options["layer"],
                    source_srid=options["srid"],
                    source_name=options["source"],
                    is_approximate=options["approximate"],
                    clear_empty=options["clear_empty"],
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    progress=progress_factory(self, options),
                    actor=actor,
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        finish(self, report, options)
