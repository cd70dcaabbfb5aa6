"""`manage.py prune_media`: delete uploaded pictures that no row refers to any more."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from proposals.photos import orphans_prune


class Command(BaseCommand):
    help = (
        "Delete picture files under MEDIA_ROOT that no photo, project or progress update refers "
        "to (left by rolled-back uploads or cascaded deletions). Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=60,
            help="Keep younger files: their upload may still be committing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = orphans_prune(older_than=timedelta(minutes=options["older_than_minutes"]))
        self.stdout.write(f"{len(removed)} unreferenced picture file(s) deleted.")
