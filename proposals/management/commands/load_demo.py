"""`manage.py load_demo`: the Kaiserslautern demo data set, loaded once through the services."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from accounts import roles
from geo.models import Area
from geo.services import area_save
from geo.validation import as_storage_multipolygon
from locations.models import Site
from locations.services import site_save
from proposals.models import Category, Comment, Project, Proposal
from proposals.services import (
    comment_create,
    proposal_create,
    roles_ensure,
    tally_record,
    vote_cast,
)

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "kaiserslautern"
# Published on purpose: the demo accounts exist so that anyone trying the demo can sign in.
DEFAULT_DEMO_PASSWORD = "mitmachen-kl"  # noqa: S105
# Marks the accounts this command owns; an existing account without it is never touched.
DEMO_EMAIL_DOMAIN = "demo.mitmachkarte.invalid"
ADMIN = "admin"
# What was loaded, for the summary line.
LOADED = {
    "city": ngettext_lazy("%(n)d city boundary", "%(n)d city boundaries", "n"),
    "districts": ngettext_lazy("%(n)d district", "%(n)d districts", "n"),
    "sites": ngettext_lazy("%(n)d site", "%(n)d sites", "n"),
    "participants": ngettext_lazy("%(n)d demo participant", "%(n)d demo participants", "n"),
    "projects": ngettext_lazy("%(n)d project", "%(n)d projects", "n"),
    "ideas": ngettext_lazy("%(n)d idea", "%(n)d ideas", "n"),
    "comments": ngettext_lazy("%(n)d comment", "%(n)d comments", "n"),
    "options": ngettext_lazy("%(n)d option", "%(n)d options", "n"),
    "votes": ngettext_lazy("%(n)d vote", "%(n)d votes", "n"),
    "tallies": ngettext_lazy("%(n)d paper tally", "%(n)d paper tallies", "n"),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # a group name from accounts.roles, or ADMIN for the superuser


DEMO_ACCOUNTS = (
    DemoAccount("buerger", roles.CITIZEN),
    DemoAccount("planung", roles.PLANNER),
    DemoAccount("gis", roles.GIS_STAFF),
    DemoAccount("admin", ADMIN),
)


class Command(BaseCommand):
    help = (
        "Load the Kaiserslautern demo data (only into a database without projects and areas); "
        "always ensure the roles and the demo accounts, and list the accounts."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        try:
            with transaction.atomic():
                groups = roles_ensure()
                rows = [account_ensure(a, password, groups) for a in DEMO_ACCOUNTS]
                if Project.objects.exists() or Area.objects.exists():
                    self.stdout.write(_("Demo data already present; nothing loaded."))
                else:
                    counts = DemoLoader(now=timezone.now(), citizens=groups[roles.CITIZEN]).load()
                    summary = ", ".join(LOADED[what] % {"n": n} for what, n in counts.items())
                    self.stdout.write(self.style.SUCCESS(_("Demo data loaded: %s.") % summary))
                    if apps.is_installed("surveys"):
                        # By name: surveys sits above proposals, which never imports it.
                        call_command("load_survey_demo", stdout=self.stdout)
        except (ValidationError, PermissionDenied, KeyError, ValueError) as exc:
            # The fixtures broke a rule the services enforce, or refer to something missing:
            # say what, and (thanks to the one transaction) leave nothing half loaded.
            raise CommandError(_("The demo data could not be loaded: %s") % exc) from exc
        self._print_accounts(rows)

    def _print_accounts(self, rows: list[tuple[str, str, str]]) -> None:
        header = (_("username"), _("role"), _("password"))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (set the password with DEMO_PASSWORD):"))
        for row in [header, *rows]:
            cells = (value.ljust(width) for value, width in zip(row, widths, strict=True))
            self.stdout.write("  " + "  ".join(cells).rstrip())


def account_ensure(
    account: DemoAccount, password: str, groups: dict[str, Group]
) -> tuple[str, str, str]:
    """Create or refresh one demo account; a row (username, role, password) for the listing."""
    label = str(_("Administrator") if account.role == ADMIN else roles.LABELS[account.role])
    email = f"{account.username}@{DEMO_EMAIL_DOMAIN}"
    user = get_user_model().objects.filter(username=account.username).first()
    if user is not None and user.email != email:
        return account.username, label, _("(existing account, left unchanged)")
    if user is None:
        user = get_user_model()(username=account.username, email=email)
    user.is_active = True
    # Staff status opens the admin to the city's roles; what they may do there is per model.
    user.is_staff = account.role in (roles.PLANNER, roles.GIS_STAFF, ADMIN)
    user.is_superuser = account.role == ADMIN
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    _confirm_email(user)
    if account.role != ADMIN:
        user.groups.add(groups[account.role])
    return account.username, label, password


def _confirm_email(user: User) -> None:
    """Demo accounts count as confirmed (allauth's record): they sign in and take part at once."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )


class DemoLoader:
    """Reads the fixture files and writes every object through the service that owns it."""

    def __init__(self, *, now: datetime, citizens: Group) -> None:
        self.now = now
        self.citizens = citizens
        demo_usernames = [account.username for account in DEMO_ACCOUNTS]
        self.users: dict[str, Any] = {
            user.username: user
            for user in get_user_model().objects.filter(username__in=demo_usernames)
        }
        self.sites: dict[str, Site] = {}
        self.counts: dict[str, int] = {}

    def load(self) -> dict[str, int]:
        self._areas(_read_json(FIXTURES / "areas.geojson"))
        self._sites(_read_json(FIXTURES / "sites.geojson"))
        participation = _read_json(FIXTURES / "projects.json")
        self._voters(participation["voters"])
        for spec in participation["projects"]:
            self._project(spec, voters=participation["voters"])
        return self.counts

    def _count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def _areas(self, collection: dict[str, Any]) -> None:
        for feature in collection["features"]:
            props = feature["properties"]
            area_save(
                name=props["name"],
                slug=props["slug"],
                kind=props["kind"],
                geometry=_geometry(feature["geometry"]),
                population=props.get("population"),
                external_id=props.get("external_id"),
                source=props.get("source", ""),
                is_approximate=props.get("is_approximate", False),
            )
            is_district = props["kind"] == Area.Kind.DISTRICT
            self._count("districts" if is_district else "city")

    def _sites(self, collection: dict[str, Any]) -> None:
        for feature in collection["features"]:
            props = feature["properties"]
            geometry = _geometry(feature["geometry"])
            # A square with an extent arrives as its outline; site_save puts the point on it.
            is_point = geometry.geom_type == "Point"
            self.sites[props["slug"]] = site_save(
                name=props["name"],
                slug=props["slug"],
                kind=props["kind"],
                location=geometry if is_point else None,
                outline=None if is_point else geometry,
                description=props.get("description", ""),
                attributes={"source": props["source"]} if props.get("source") else {},
                external_id=props.get("external_id"),
                is_approximate=props.get("is_approximate", False),
            )
            self._count("sites")

    def _voters(self, usernames: list[str]) -> None:
        # Invented people who give the demo its ideas, comments and votes; nobody can sign in
        # as them (unusable passwords).
        for username in usernames:
            user = get_user_model()(username=username, email=f"{username}@{DEMO_EMAIL_DOMAIN}")
            user.set_unusable_password()
            user.full_clean()
            user.save()
            _confirm_email(user)
            user.groups.add(self.citizens)
            self.users[username] = user
        self._count("participants", len(usernames))

    def _project(self, spec: dict[str, Any], *, voters: list[str]) -> None:
        windows = {
            phase: (self.now + timedelta(days=start), self.now + timedelta(days=end))
            for phase, (start, end) in spec["phases"].items()
        }
        project = Project(
            title=spec["title"],
            slug=spec["slug"],
            summary=spec["summary"],
            body=spec["body"],
            perimeter=as_storage_multipolygon(_geometry(spec["perimeter"]), field="perimeter"),
            is_published=True,
            ideas_start=windows.get("ideas", (None, None))[0],
            ideas_end=windows.get("ideas", (None, None))[1],
            voting_start=windows.get("voting", (None, None))[0],
            voting_end=windows.get("voting", (None, None))[1],
            voting_mode=spec["voting_mode"],
            results_visibility=spec["results_visibility"],
            allow_citizen_pins=spec["allow_citizen_pins"],
            moderation=spec["moderation"],
            office=spec.get("office", ""),
        )
        # There is no project service yet: planners set projects up in the admin, which
        # validates the same way.
        project.full_clean()
        project.save()
        self._count("projects")
        categories = {}
        for position, cat in enumerate(spec.get("categories", [])):
            category = Category(project=project, position=position, **cat)
            category.full_clean()
            category.save()
            categories[cat["slug"]] = category
        for pin in spec.get("proposals", []):
            proposal = proposal_create(
                author=self.users[pin["author"]],
                project=project,
                title=pin["title"],
                description=pin["description"],
                location=_geometry({"type": "Point", "coordinates": pin["location"]}),
                category=categories[pin["category"]] if pin.get("category") else None,
                now=self.now,
            )
            self._count("ideas")
            self._comments(proposal, pin.get("comments", []))
        options = {}
        for opt in spec.get("options", []):
            option = proposal_create(
                author=self.users[opt["author"]],
                project=project,
                title=opt["title"],
                description=opt["description"],
                site=self.sites[opt["site"]],
                now=self.now,
            )
            options[opt["site"]] = option
            self._count("options")
            self._comments(option, opt.get("comments", []))
        self._votes(spec.get("options", []), options, voters)
        for tally in spec.get("paper_tallies", []):
            tally_record(
                actor=self.users["planung"],
                project=project,
                event_name=tally["event_name"],
                place=tally["place"],
                event_date=timezone.localdate(self.now) + timedelta(days=tally["event_day"]),
                ballots=tally["ballots"],
                counted_by=tally["counted_by"],
                note=tally.get("note", ""),
                counts={options[site].pk: n for site, n in tally["counts"].items()},
                now=self.now,
            )
            self._count("tallies")

    def _comments(self, proposal: Proposal, specs: list[dict[str, Any]]) -> None:
        for spec in specs:
            author = self.users[spec["author"]]
            parent: Comment = comment_create(
                author=author, proposal=proposal, body=spec["body"], now=self.now
            )
            self._count("comments")
            for reply in spec.get("replies", []):
                comment_create(
                    author=self.users[reply["author"]],
                    proposal=proposal,
                    body=reply["body"],
                    parent=parent,
                    now=self.now,
                )
                self._count("comments")

    def _votes(
        self, specs: list[dict[str, Any]], options: dict[str, Proposal], voters: list[str]
    ) -> None:
        """Each demo participant votes once, in order, until every option has its share."""
        queue = iter(voters)
        for spec in specs:
            for _n in range(spec.get("votes", 0)):
                username = next(queue, None)
                if username is None:
                    raise ValueError("more votes in projects.json than demo participants")
                vote_cast(user=self.users[username], proposal=options[spec["site"]], now=self.now)
                self._count("votes")


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _geometry(geojson: dict[str, Any]) -> GEOSGeometry:
    # GeoJSON is WGS 84 by definition (RFC 7946), so the SRID is stated rather than guessed.
    geometry = GEOSGeometry(json.dumps(geojson))
    geometry.srid = 4326
    return geometry
