"""`manage.py export_data`: a data set as GeoJSON, GeoPackage, CSV or zipped Shapefile."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from geo.exports import (
    CSV_GEOMETRIES,
    FORMATS,
    SRIDS,
    ExportError,
    datasets,
    export_options,
    geojson_chunks,
    log_export,
    open_export,
    write_export,
)
from geo.management.commands._importing import add_user_argument, command_actor


class Command(BaseCommand):
    help = "Export sites, proposals or districts in a GIS format (EPSG:4326 or EPSG:25832)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", choices=datasets())
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="geojson")
        parser.add_argument("--srid", type=int, choices=SRIDS, default=SRIDS[0])
        parser.add_argument("--project", help="Project slug: only this project's proposals.")
        parser.add_argument(
            "--csv-geometry",
            choices=CSV_GEOMETRIES,
            default="wkt",
            help="CSV geometry as one WKT column or as X/Y (lon/lat) columns.",
        )
        parser.add_argument(
            "-o", "--output", required=True, help="Output file, or '-' for standard output."
        )
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            export = export_options(
                dataset=options["dataset"],
                fmt=options["fmt"],
                srid=options["srid"],
                project=options["project"],
                csv_geometry=options["csv_geometry"],
            )
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        actor, who = command_actor(options["user"])
        try:
            if options["output"] == "-":
                self._to_stdout(export)
                log_export(export, actor=actor, destination=f"stdout ({who})")
                return
            target = Path(options["output"])
            if not target.parent.is_dir():
                message = _("The folder %(path)s does not exist.") % {"path": target.parent}
                raise CommandError(message)
            write_export(export, target)
            log_export(export, actor=actor, destination=f"{target.resolve()} ({who})")
        except ExportError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(_("Wrote %(path)s") % {"path": target})

    def _to_stdout(self, export: Any) -> None:
        if export.format == "geojson":
            # Streamed straight from the server-side cursor: memory stays flat for any size.
            for chunk in geojson_chunks(export):
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
            return
        with open_export(export) as produced:
            shutil.copyfileobj(produced, sys.stdout.buffer)
        sys.stdout.buffer.flush()


def _messages(error: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
