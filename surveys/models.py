"""Surveys of a project: questions (map questions among them), responses, answers, features."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.crs import STORAGE_SRID
from proposals.models import Project


class SurveyState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UPCOMING = "upcoming", _("Not yet open")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    class Audience(models.TextChoices):
        ACCOUNTS = "accounts", _("Signed-in accounts only (one answer per person)")
        ANYONE = "anyone", _("Anyone (one answer per browser)")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="surveys"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    intro = models.TextField(_("introduction"), blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    audience = models.CharField(
        _("who may answer"), max_length=20, choices=Audience.choices, default=Audience.ACCOUNTS
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Privacy of map answers: the public sees drawn features only as grid cells (EPSG:25832)
    # that at least this many responses touch; a cell with fewer is never shown.
    grid_size_m = models.PositiveIntegerField(_("grid cell size (m)"), default=250)
    min_cell_count = models.PositiveSmallIntegerField(
        _("minimum answers per public cell"), default=5
    )
    results_visibility = models.CharField(
        _("results are public"),
        max_length=20,
        choices=Project.ResultsVisibility.choices,
        default=Project.ResultsVisibility.AFTER_CLOSE,
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")), name="survey_opens_before_closing"
            ),
            models.CheckConstraint(condition=Q(grid_size_m__gte=50), name="survey_grid_min"),
            models.CheckConstraint(condition=Q(min_cell_count__gte=2), name="survey_cell_min"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("surveys:survey", kwargs={"slug": self.slug})

    def state_at(self, when: datetime | None = None) -> SurveyState:
        """The state at a moment: a function of the dates, so nothing has to keep it in sync."""
        if not self.is_published:
            return SurveyState.DRAFT
        now = when or timezone.now()
        if now < self.opens_at:
            return SurveyState.UPCOMING
        if now < self.closes_at:
            return SurveyState.OPEN
        return SurveyState.CLOSED

    @property
    def state(self) -> SurveyState:
        return self.state_at()


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        SCALE = "scale", _("Scale")
        RANKING = "ranking", _("Ranking")
        POINT = "point", _("Map: point(s)")
        LINE = "line", _("Map: line (route)")
        AREA = "area", _("Map: area")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE, Kind.RANKING)
    TEXT_KINDS = (Kind.SHORT_TEXT, Kind.LONG_TEXT)
    MAP_KINDS = (Kind.POINT, Kind.LINE, Kind.AREA)

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.TextField(_("explanation"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    # multiple: how many choices; ranking: how many ranked; map: how many features.
    min_count = models.PositiveSmallIntegerField(_("at least"), null=True, blank=True)
    max_count = models.PositiveSmallIntegerField(_("at most"), null=True, blank=True)
    scale_min = models.SmallIntegerField(_("scale from"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("scale to"), null=True, blank=True)
    scale_min_label = models.CharField(_("label of the low end"), max_length=100, blank=True)
    scale_max_label = models.CharField(_("label of the high end"), max_length=100, blank=True)
    number_min = models.FloatField(_("smallest number"), null=True, blank=True)
    number_max = models.FloatField(_("largest number"), null=True, blank=True)
    max_length_m = models.PositiveIntegerField(_("longest line (m)"), null=True, blank=True)
    max_area_m2 = models.PositiveIntegerField(_("largest area (m²)"), null=True, blank=True)
    feature_comment = models.BooleanField(_("comment per drawn feature"), default=False)
    is_home_location = models.BooleanField(
        _("home location"),
        default=False,
        help_text=_("Never shown as points, not even to planners; only counted in grid cells."),
    )
    show_if_question = models.ForeignKey(
        "self",
        verbose_name=_("shown only after the question"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
    )
    show_if_choice = models.ForeignKey(
        "Choice",
        verbose_name=_("was answered with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_count__isnull=True)
                | Q(max_count__isnull=True)
                | Q(min_count__lte=F("max_count")),
                name="question_count_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="scale")
                | Q(scale_min__in=(0, 1), scale_max__in=(5, 10), scale_min__lt=F("scale_max")),
                name="question_scale_range",
            ),
            models.CheckConstraint(
                condition=Q(show_if_question__isnull=True, show_if_choice__isnull=True)
                | Q(show_if_question__isnull=False, show_if_choice__isnull=False),
                name="question_condition_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_map(self) -> bool:
        return self.kind in self.MAP_KINDS

    @property
    def has_choices(self) -> bool:
        return self.kind in self.CHOICE_KINDS


class Choice(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class Response(models.Model):
    """One person's (or browser's, or paper questionnaire's) answers to a survey."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses"
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.ONLINE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("respondent"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    # Anyone-surveys: a hash of the browser's random token, never the token itself.
    browser_key = models.CharField(_("browser key"), max_length=64, null=True, blank=True)
    # Paper questionnaires, like paper ballots: the event, who entered it, corrections.
    event_name = models.CharField(_("event"), max_length=200, blank=True)
    event_date = models.DateField(_("date"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    # A superseded paper record stays for the history and counts no more.
    is_current = models.BooleanField(_("counts"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "user"],
                condition=Q(user__isnull=False),
                name="response_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["survey", "browser_key"],
                condition=Q(browser_key__isnull=False),
                name="response_one_per_browser",
            ),
            models.CheckConstraint(
                condition=Q(source="online", event_name="", recorded_by__isnull=True)
                | Q(source="paper", user__isnull=True, browser_key__isnull=True)
                & ~Q(event_name="")
                & Q(recorded_by__isnull=False, event_date__isnull=False),
                name="response_source_fields",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
                name="response_correction_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["survey", "is_current"], name="response_survey_current")]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"


class Answer(models.Model):
    """The answer to one non-map question; map answers are `MapFeature` rows."""

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="answers"
    )
    text = models.TextField(_("text"), blank=True)
    number = models.FloatField(_("number"), null=True, blank=True)
    # single/multiple: the chosen ids; ranking: the ids in ranked order (first = best).
    choice_ids = ArrayField(models.IntegerField(), verbose_name=_("choices"), default=list)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_one_per_q"),
        ]
        indexes = [models.Index(fields=["question", "response"], name="answer_question")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class MapFeature(models.Model):
    """One feature drawn as the answer to a map question: a point, a line or an area.

    Three typed columns rather than one mixed column (like `locations.Site`): each keeps one
    geometry type, so exports stay one layer per type, and each has its GiST index.
    """

    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="features"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="features"
    )
    point = models.PointField(_("point"), srid=STORAGE_SRID, null=True, spatial_index=True)
    line = models.LineStringField(_("line"), srid=STORAGE_SRID, null=True, spatial_index=True)
    area = models.PolygonField(_("area"), srid=STORAGE_SRID, null=True, spatial_index=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("drawn feature")
        verbose_name_plural = _("drawn features")
        ordering = ["response", "question", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(point__isnull=False, line__isnull=True, area__isnull=True)
                | Q(point__isnull=True, line__isnull=False, area__isnull=True)
                | Q(point__isnull=True, line__isnull=True, area__isnull=False),
                name="map_feature_one_geometry",
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__isvalid=True), name="map_feature_valid"
            ),
        ]
        indexes = [models.Index(fields=["question", "response"], name="map_feature_question")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}#{self.pk}"

    @property
    def geometry(self) -> object:
        return self.point or self.line or self.area


class PublicCell(models.Model):
    """A public grid cell of a map question: a database view, read-only.

    The cells of `selectors._CELLS_SQL` for every survey at once, already cut at the
    survey's minimum (a cell fewer responses touch never appears), so OGC API - Features can
    page, count and filter them as a queryset. Which surveys' results are public is the
    `may_view_survey_results` rule's decision, applied in `selectors.public_cells`.
    The id packs (question, column, row) into one bigint, so a cell keeps its id.
    """

    id = models.BigIntegerField(primary_key=True)
    survey = models.ForeignKey(
        Survey, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    question = models.ForeignKey(
        Question, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    count = models.IntegerField(_("responses"))
    geometry = models.PolygonField(_("cell"), srid=STORAGE_SRID)

    class Meta:
        managed = False
        db_table = "surveys_public_cell"
        verbose_name = _("public grid cell")
        verbose_name_plural = _("public grid cells")

    def __str__(self) -> str:
        return f"{self.question_id}#{self.pk}"
