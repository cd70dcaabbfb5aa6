"""`manage.py load_survey_demo`: the demo survey with generated answers (load_demo calls it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import roles
from surveys import demo


class Command(BaseCommand):
    help = "Load the Kaiserslautern demo survey (once; needs the demo areas and a planner)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--responses", type=int, default=demo.RESPONSES)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = get_user_model().objects.filter(groups__name=roles.PLANNER).order_by("pk").first()
        if actor is None:
            self.stdout.write("No planner account; the demo survey needs one.")
            return
        with transaction.atomic():
            survey = demo.load(actor=actor, now=timezone.now(), responses=options["responses"])
        if survey is None:
            self.stdout.write("Demo survey present or demo areas missing; nothing loaded.")
        else:
            n = survey.responses.count()
            self.stdout.write(self.style.SUCCESS(f"Demo survey loaded: {survey.title} ({n})."))
