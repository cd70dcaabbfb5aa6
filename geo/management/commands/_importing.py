"""What the import commands share: common options, the progress bar and the report."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from geo.imports import ImportReport, Progress


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument("path", help="GeoJSON, GeoPackage, Shapefile (.shp) or a zip holding one.")
    parser.add_argument("--layer", help="Layer to read when the file has several.")
    parser.add_argument(
        "--srid", type=int, help="EPSG code of the file's coordinates, when the file does not say."
    )
    parser.add_argument(
        "--id-field",
        default="external_id",
        help="Field with the stable id that a later import updates by.",
    )
    parser.add_argument("--name-field", default="name")
    parser.add_argument(
        "--approximate", action="store_true", help="Mark the geometry as approximate, not official."
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Check every feature against the database, store nothing.",
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="Store the valid features even when others are refused.",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="Show a progress bar even when stderr is not a terminal.",
    )


@contextmanager
def quiet_geos_notices() -> Iterator[None]:
    """GEOS logs each invalid polygon it meets; the report already says which and why."""
    logger = logging.getLogger("django.contrib.gis")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def progress_factory(command: BaseCommand, options: dict[str, Any]) -> Any:
    enabled = options["progress"] or sys.stderr.isatty()
    # The bar writes to the command's stderr as is: OutputWrapper would add a newline per update.
    stream = cast(IO[str], command.stderr._out)
    return lambda total: Progress(total, stream=stream, enabled=enabled)


def finish(command: BaseCommand, report: ImportReport, options: dict[str, Any]) -> None:
    """Print what was refused and why, the totals, and fail when nothing was stored."""
    for refusal in report.refused:
        command.stderr.write(_("Refused %(refusal)s") % {"refusal": refusal})
    refused_features = len({r.index for r in report.refused})
    summary = _(
        "%(total)d features read: %(created)d new, %(updated)d updated, %(refused)d refused."
    ) % {
        "total": report.total,
        "created": report.created,
        "updated": report.updated,
        "refused": refused_features,
    }
    command.stdout.write(summary)
    if options["dry_run"]:
        command.stdout.write(_("Dry run: nothing was stored."))
        if refused_features:
            raise CommandError(
                _("%(count)d features would be refused.") % {"count": refused_features}
            )
        return
    if not report.stored:
        raise CommandError(
            _(
                "%(count)d of %(total)d features were refused, so nothing was stored. Correct "
                "them, or use --skip-invalid to store the others."
            )
            % {"count": refused_features, "total": report.total}
        )
    if refused_features:
        command.stdout.write(_("Stored the valid features; the refused ones were skipped."))
