"""Follows, area alerts, the notices they produce, and the implementation progress of ideas."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.crs import METRIC_SRID


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("immediately")
    DAILY = "daily", _("once a day (digest)")
    OFF = "off", _("never (off)")


class AlertSettings(models.Model):
    """How often a person hears about what they follow (no row: immediately)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alert_settings",
        verbose_name=_("person"),
    )
    frequency = models.CharField(
        _("e-mails about what you follow"),
        max_length=20,
        choices=Frequency.choices,
        default=Frequency.IMMEDIATE,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.frequency}"


class Subscription(models.Model):
    """One thing a person follows: a proposal, a project, or an area (with optional filters)."""

    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("proposal")
        PROJECT = "project", _("project")
        DISTRICT = "district", _("district")
        RADIUS = "radius", _("surroundings of a site")
        DRAWN = "drawn", _("drawn area")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    proposal = models.ForeignKey(
        "proposals.Proposal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposal"),
    )
    project = models.ForeignKey(
        "proposals.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    district = models.ForeignKey(
        "geo.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    site = models.ForeignKey(
        "locations.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    radius_m = models.PositiveIntegerField(
        _("radius (m)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(5000)],
    )
    # The watched area of radius and drawn subscriptions, in the metric CRS: a site's buffer is
    # computed once when subscribing, and every event is one indexed point-in-polygon test.
    region = models.MultiPolygonField(
        _("area"), srid=METRIC_SRID, null=True, blank=True, spatial_index=True
    )
    # Filters of area subscriptions; empty means "all".
    in_projects = models.ManyToManyField(
        "proposals.Project", blank=True, related_name="+", verbose_name=_("only in projects")
    )
    in_categories = models.ManyToManyField(
        "proposals.Category", blank=True, related_name="+", verbose_name=_("only in categories")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "proposal"],
                condition=Q(kind="proposal"),
                name="alerts_one_follow_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["user", "project"],
                condition=Q(kind="project"),
                name="alerts_one_follow_per_project",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="proposal", proposal__isnull=False)
                    | Q(kind="project", project__isnull=False)
                    | Q(kind="district", district__isnull=False)
                    | Q(kind="radius", region__isnull=False, radius_m__isnull=False)
                    | Q(kind="drawn", region__isnull=False)
                ),
                name="alerts_subscription_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class ProgressUpdate(models.Model):
    """A dated step in implementing an accepted proposal, written by the city's staff."""

    class Stage(models.TextChoices):
        PLANNED = "planned", _("planned")
        UNDER_WAY = "under_way", _("under way")
        DONE = "done", _("done")

    proposal = models.ForeignKey(
        "proposals.Proposal",
        on_delete=models.CASCADE,
        related_name="progress_updates",
        verbose_name=_("proposal"),
    )
    text = models.TextField(_("progress"), max_length=5000)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    percent = models.PositiveSmallIntegerField(
        _("percent done"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    # A photo of the works (optional): re-encoded without metadata (infra/images.py), seen by
    # whoever sees the proposal.
    image = models.FileField(_("photo"), max_length=200, blank=True, editable=False)
    image_thumbnail = models.FileField(max_length=200, blank=True, editable=False)
    image_alt = models.CharField(_("photo description"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("dated"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.created_at:%Y-%m-%d}"


class Notice(models.Model):
    """A person is to hear about an event: sent at once, or collected for the daily digest."""

    class Event(models.TextChoices):
        PUBLISHED = "published", _("new proposal")
        RESPONSE = "response", _("official response")
        PROGRESS = "progress", _("implementation progress")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=Event.choices)
    proposal = models.ForeignKey("proposals.Proposal", on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(
        "proposals.ProposalResponse", on_delete=models.CASCADE, null=True, related_name="+"
    )
    progress = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the e-mail was queued (at once, or with the digest).
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=Q(sent_at__isnull=True),
                name="alerts_notice_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event} {self.proposal_id}"
