"""`manage.py import_sites`: sites from GeoJSON, GeoPackage, Shapefile or CSV, upserted by id."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.imports import ImportFileError, gdal_messages
from geo.management.commands._importing import (
    add_common_arguments,
    command_actor,
    finish,
    progress_factory,
)
from locations.imports import SiteFields, sites_import
from locations.models import Site


class Command(BaseCommand):
    help = (
        "Import sites (points or polygons) from a GIS file in any CRS GDAL knows, or an export "
        "of this service (any format) back. Only what the file holds is changed. Sites must lie "
        "within the city boundary (plus IMPORT_CITY_MARGIN_M). All or nothing: if a feature is "
        "refused, nothing is stored (unless --skip-invalid), and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument(
            "--outline-layer",
            help="Layer with the sites' outlines (polygons sharing the id or slug column); "
            "an export's site_outlines layer is found without this.",
        )
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
        actor, _who = command_actor(options["user"])
        try:
            # GDAL's and GEOS's own messages are quoted in ours, not printed beside them.
            with gdal_messages():
                report = sites_import(
                    path=options["path"],
                    fields=fields,
                    layer=options["layer"],
                    outline_layer=options["outline_layer"],
                    source_srid=options["srid"],
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
