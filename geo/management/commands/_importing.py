"""What the import and export commands share: common options, the acting account, the progress
bar and the report."""

from __future__ import annotations

import getpass
import sys
from typing import IO, Any, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from geo.imports import ImportReport, Progress


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "path", help="GeoJSON, GeoPackage, Shapefile (.shp), CSV, or a zip holding one."
    )
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
        "--clear-empty",
        action="store_true",
        help="An empty value in the file clears the stored one. Without it, empty values and "
        "absent columns change nothing.",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Check every feature against the database, store nothing.",
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="Store the valid features even when others are refused (the exit status still "
        "says that some were refused).",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="Show a progress bar even when stderr is not a terminal.",
    )
    add_user_argument(parser)


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--user", help="Account (user name or e-mail address) the audit log names as acting."
    )


def command_actor(name: str | None) -> tuple[Any, str]:
    """The account named by --user (or None) and how the audit log describes who acted."""
    try:
        system_user = getpass.getuser()
    except (KeyError, OSError):
        system_user = "?"
    if not name:
        # Words of the audit log's data, not of a page: not translated.
        return None, f"system user {system_user}"
    user = get_user_model().objects.filter(Q(username=name) | Q(email__iexact=name)).first()
    if user is None:
        raise CommandError(_("There is no account %(name)r (--user).") % {"name": name})
    return user, f"account {user.get_username()}, system user {system_user}"


def progress_factory(command: BaseCommand, options: dict[str, Any]) -> Any:
    enabled = options["progress"] or sys.stderr.isatty()
    # The bar writes to the command's stderr as is: OutputWrapper would add a newline per update.
    stream = cast(IO[str], command.stderr._out)
    return lambda total: Progress(total, stream=stream, enabled=enabled)


def finish(command: BaseCommand, report: ImportReport, options: dict[str, Any]) -> None:
    """Print each feature's outcome, what was refused and why, the totals; fail on refusals."""
    if options.get("verbosity", 1) >= 1:
        for result in report.results:
            if result.outcome != "refused":
                command.stdout.write(str(result))
    for refusal in report.refused:
        command.stderr.write(_("Refused %(refusal)s") % {"refusal": refusal})
    for warning in report.warnings:
        command.stderr.write(warning)
    refused = report.refused_features
    summary = _(
        "%(total)d features read: %(created)d new, %(updated)d updated, %(unchanged)d "
        "unchanged, %(refused)d refused."
    ) % {
        "total": report.total,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "refused": refused,
    }
    command.stdout.write(summary)
    if options["dry_run"]:
        command.stdout.write(_("Dry run: nothing was stored."))
        if refused:
            raise CommandError(_("%(count)d features would be refused.") % {"count": refused})
        return
    if not report.stored:
        raise CommandError(
            _(
                "%(count)d of %(total)d features were refused, so nothing was stored. Correct "
                "them, or use --skip-invalid to store the others."
            )
            % {"count": refused, "total": report.total}
        )
    if refused:
        raise CommandError(
            _("Stored the valid features and skipped the refused ones (%(count)d).")
            % {"count": refused}
        )
