"""Participation: projects, their categories, proposals on the map, comments and votes."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.crs import METRIC_SRID, STORAGE_SRID


class Phase(models.TextChoices):
    DRAFT = "draft", _("Draft")
    INFORMATION = "information", _("Information")
    IDEAS = "ideas", _("Collecting ideas")
    VOTING = "voting", _("Voting")
    CLOSED = "closed", _("Closed")


class VotingMode(models.TextChoices):
    SUPPORT = "support", _("Support (one vote per proposal, any number of proposals)")
    SINGLE = "single", _("Single choice (one option per person)")
    BUDGET = "budget", _("Budget (N votes per person, at most k per option)")


class Project(models.Model):
    class Moderation(models.TextChoices):
        PRE = "pre", _("Pre-moderation: new proposals appear after approval")
        POST = "post", _("Post-moderation: new proposals appear at once")

    class ResultsVisibility(models.TextChoices):
        LIVE = "live", _("Live, while voting is open")
        AFTER_CLOSE = "after_close", _("After voting closes")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.CharField(_("summary"), max_length=500)
    body = models.TextField(_("information text"), blank=True)
    perimeter = models.MultiPolygonField(
        _("perimeter"),
        srid=STORAGE_SRID,
        spatial_index=True,
        help_text=_("Pins must lie inside this area."),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Unpublished projects are drafts.")
    )
    ideas_start = models.DateTimeField(_("collecting ideas from"), null=True, blank=True)
    ideas_end = models.DateTimeField(_("collecting ideas until"), null=True, blank=True)
    voting_start = models.DateTimeField(_("voting from"), null=True, blank=True)
    voting_end = models.DateTimeField(_("voting until"), null=True, blank=True)
    voting_mode = models.CharField(
        _("voting mode"), max_length=20, choices=VotingMode.choices, default=VotingMode.SUPPORT
    )
    votes_per_person = models.PositiveSmallIntegerField(
        _("votes per person"), null=True, blank=True, help_text=_("Budget mode: N.")
    )
    max_votes_per_option = models.PositiveSmallIntegerField(
        _("votes per option at most"), default=1, help_text=_("Budget mode: k.")
    )
    results_visibility = models.CharField(
        _("results are public"),
        max_length=20,
        choices=ResultsVisibility.choices,
        default=ResultsVisibility.AFTER_CLOSE,
    )
    allow_citizen_pins = models.BooleanField(_("citizens may add pins"), default=True)
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.POST
    )
    office = models.CharField(
        _("responsible office"),
        max_length=200,
        blank=True,
        help_text=_("Signs the official responses, e.g. “Referat Stadtentwicklung”."),
    )
    # Staff upload it (admin, `project_update`); stored re-encoded without metadata. The
    # description is the picture's alt text, so it is required whenever there is a picture.
    image = models.FileField(_("project image"), max_length=200, blank=True, editable=False)
    image_thumbnail = models.FileField(max_length=200, blank=True, editable=False)
    image_alt = models.CharField(
        _("image description"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the picture shows, for people who cannot see it (required with an image)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(perimeter__isvalid=True), name="project_perimeter_valid"
            ),
            models.CheckConstraint(
                condition=Q(ideas_start__isnull=True, ideas_end__isnull=True)
                | Q(ideas_start__lt=F("ideas_end")),
                name="project_ideas_window",
            ),
            models.CheckConstraint(
                condition=Q(voting_start__isnull=True, voting_end__isnull=True)
                | Q(voting_start__lt=F("voting_end")),
                name="project_voting_window",
            ),
            models.CheckConstraint(
                condition=Q(ideas_end__isnull=True)
                | Q(voting_start__isnull=True)
                | Q(ideas_end__lte=F("voting_start")),
                name="project_ideas_before_voting",
            ),
            models.CheckConstraint(
                condition=~Q(voting_mode="budget")
                | Q(votes_per_person__gte=1, max_votes_per_option__lte=F("votes_per_person")),
                name="project_budget_parameters",
            ),
            models.CheckConstraint(
                condition=Q(max_votes_per_option__gte=1),
                name="project_max_votes_per_option_positive",
            ),
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="project_image_has_alt"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.image and not self.image_alt.strip():
            raise ValidationError(
                {"image_alt": _("Describe the picture: people who cannot see it read this.")},
                code="required",
            )

    def get_absolute_url(self) -> str:
        return reverse("proposals:project-detail", kwargs={"slug": self.slug})

    @property
    def image_url(self) -> str:
        return reverse("proposals:project-image", kwargs={"slug": self.slug, "variant": "full"})

    def phase_at(self, when: datetime | None = None) -> Phase:
        """The phase at a moment; a pure function of the dates, so nobody has to keep it in sync."""
        if not self.is_published:
            return Phase.DRAFT
        now = when or timezone.now()
        if self.voting_start and self.voting_start <= now < self.voting_end:  # type: ignore[operator]
            return Phase.VOTING
        if self.ideas_start and self.ideas_start <= now < self.ideas_end:  # type: ignore[operator]
            return Phase.IDEAS
        last_end = max((d for d in (self.ideas_end, self.voting_end) if d), default=None)
        if last_end and now >= last_end:
            return Phase.CLOSED
        return Phase.INFORMATION

    @property
    def phase(self) -> Phase:
        return self.phase_at()

    @property
    def office_name(self) -> str:
        """Who speaks for the city in this project: staff comments show it instead of a name."""
        return self.office.strip() or str(_("City administration"))


class Category(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    color = models.CharField(
        _("colour"), max_length=7, default="#1f6f8b", help_text=_("Hex colour, e.g. #1f6f8b.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["project", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="category_unique_slug"),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="category_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Proposal(models.Model):
    """A citizen's pin, or an option the city put up at one of its sites."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        IMPLEMENTED = "implemented", _("Implemented")

    class Visibility(models.TextChoices):
        PENDING = "pending", _("Awaiting moderation")
        PUBLISHED = "published", _("Published")
        HIDDEN = "hidden", _("Hidden by moderation")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="proposals"
    )
    site = models.ForeignKey(
        "locations.Site",
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        help_text=_("Set for options the city puts up at its sites."),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    # An option at a site takes the site's point when it is created, so every proposal has one
    # point and maps, bbox filters and exports need no special case.
    location = models.PointField(_("location"), srid=STORAGE_SRID, spatial_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="proposals",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    moderation_reason = models.TextField(
        _("reason for hiding"),
        max_length=1000,
        blank=True,
        help_text=_("Shown to the author when the proposal is hidden."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
    )
    related = models.ManyToManyField("self", verbose_name=_("related proposals"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["project", "visibility"], name="proposal_project_visible"),
            # Paging in id order (OGC items) over what everyone sees: a deep page's ids come from
            # this index alone (index-only scan, the project read from the index for its
            # published check), not from a heap row per skipped proposal.
            models.Index(
                fields=["visibility", "id"], include=["project"], name="proposal_visible_id"
            ),
            # The same for the lists' default order (newest first: REST list, project page).
            models.Index(
                fields=["visibility", "created_at", "id"],
                include=["project"],
                name="proposal_visible_created",
            ),
            # Metric queries (ST_DWithin in metres) run on ST_Transform(location, 25832); this
            # index on that very expression lets them use a GiST search instead of a scan.
            GistIndex(Transform("location", METRIC_SRID), name="proposal_location_metric"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("pk")),
                name="proposal_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "proposals:proposal-detail", kwargs={"slug": self.project.slug, "pk": self.pk}
        )

    @property
    def is_option(self) -> bool:
        return self.site_id is not None


class ProposalPhoto(models.Model):
    """A picture its author attached to a proposal: re-encoded without metadata, seen by whoever
    sees the proposal (rules.may_view_photo), hidden by moderation like text."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="photos"
    )
    # A photo is personal data of who took it: it goes with the account (personal_data.erase)
    # even where the proposal stays.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="proposal_photos",
    )
    image = models.FileField(_("picture"), max_length=200, editable=False)
    thumbnail = models.FileField(_("thumbnail"), max_length=200, editable=False)
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    alt_text = models.CharField(
        _("picture description"),
        max_length=300,
        blank=True,
        help_text=_("What the picture shows, for people who cannot see it (optional)."),
    )
    is_hidden = models.BooleanField(_("hidden by moderation"), default=False)
    moderation_reason = models.TextField(_("reason for hiding"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.alt_text[:40] or self.pk}"

    @property
    def alt(self) -> str:
        """The author's description, or a sentence naming the proposal."""
        return self.alt_text or _("Photo of the proposal “%(title)s”") % {
            "title": self.proposal.title
        }

    def get_absolute_url(self) -> str:
        return reverse("proposals:photo", kwargs={"pk": self.pk, "variant": "full"})

    @property
    def thumbnail_url(self) -> str:
        return reverse("proposals:photo", kwargs={"pk": self.pk, "variant": "thumb"})

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        """The thumbnail's width and height (as infra.images scales it), for the page's layout."""
        scale = min(1.0, settings.IMAGE_THUMBNAIL_EDGE / max(self.width, self.height, 1))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


class Comment(models.Model):
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="comments",
    )
    body = models.TextField(_("comment"), max_length=3000)
    is_official = models.BooleanField(
        _("written for the city"),
        default=False,
        help_text=_("Written by the city's staff: shown with the project's office, not a name."),
    )
    is_hidden = models.BooleanField(_("hidden by moderation"), default=False)
    moderation_reason = models.TextField(
        _("reason for hiding"),
        max_length=1000,
        blank=True,
        help_text=_("Sent to the author when the comment is hidden."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="comment_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class Vote(models.Model):
    """One person's vote on one proposal. Who voted for what is never public."""

    # No index of their own for project and user: (project, user) and (user, proposal) below
    # lead with them and serve every lookup by either; each index more is written by every vote.
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="votes",
        db_index=False,
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voter"),
        on_delete=models.CASCADE,
        related_name="votes",
        db_index=False,
    )
    weight = models.PositiveSmallIntegerField(_("votes"), default=1)
    created_at = models.DateTimeField(_("cast"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["user", "proposal"], name="vote_one_per_user_proposal"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="vote_weight_positive"),
        ]
        indexes = [models.Index(fields=["project", "user"], name="vote_project_user")]

    def __str__(self) -> str:
        # Never the voter: this string appears in the admin (titles, deletion lists).
        return f"{self.weight} → {self.proposal_id}"


class PaperTally(models.Model):
    """Paper ballots counted at one event. A correction is a new tally that supersedes this one."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="paper_tallies"
    )
    event_name = models.CharField(_("event"), max_length=200)
    place = models.CharField(_("place"), max_length=200, blank=True)
    event_date = models.DateField(_("date"))
    ballots = models.PositiveIntegerField(_("ballots cast"))
    counted_by = models.CharField(_("counted by"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("paper tally")
        verbose_name_plural = _("paper tallies")
        ordering = ["event_date", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
                name="paper_tally_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} ({self.event_date:%d.%m.%Y})"


class PaperTallyCount(models.Model):
    tally = models.ForeignKey(
        PaperTally, verbose_name=_("paper tally"), on_delete=models.CASCADE, related_name="counts"
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("option"), on_delete=models.PROTECT, related_name="paper_counts"
    )
    votes = models.PositiveIntegerField(_("votes"))

    class Meta:
        verbose_name = _("paper votes for an option")
        verbose_name_plural = _("paper votes per option")
        constraints = [
            models.UniqueConstraint(
                fields=["tally", "proposal"], name="paper_count_one_per_option"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.votes}"


class ProposalResponse(models.Model):
    """The city's official answer at one review step: public, dated, signed with the office."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="responses"
    )
    from_status = models.CharField(
        _("status before"), max_length=20, choices=Proposal.Status.choices
    )
    to_status = models.CharField(_("new status"), max_length=20, choices=Proposal.Status.choices)
    text = models.TextField(_("official response"), max_length=5000)
    office = models.CharField(_("office"), max_length=200)
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("answered"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("official response")
        verbose_name_plural = _("official responses")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="response_has_text"),
            models.CheckConstraint(condition=~Q(office=""), name="response_has_office"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.from_status} → {self.to_status}"


class NotificationSettings(models.Model):
    """A person's choice about e-mails; no row means the defaults (e-mails on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    email_on_review = models.BooleanField(
        _("e-mail me when the city answers or moderates my contributions"), default=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user_id)


class Report(models.Model):
    """A person flags a proposal or a comment for the planners' moderation queue."""

    class Outcome(models.TextChoices):
        KEPT = "kept", _("Checked and kept")
        HIDDEN = "hidden", _("Hidden")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
    )
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
    )
    reason = models.TextField(_("what is wrong"), max_length=1000)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False, comment__isnull=True)
                | Q(proposal__isnull=True, comment__isnull=False),
                name="report_one_target",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="report_has_reason"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, outcome="")
                | Q(resolved_at__isnull=False, resolved_by__isnull=False) & ~Q(outcome=""),
                name="report_resolution_complete",
            ),
            # One open report per person and object: reporting twice adds nothing.
            models.UniqueConstraint(
                fields=["reporter", "proposal"],
                condition=Q(resolved_at__isnull=True, proposal__isnull=False),
                name="report_one_open_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(resolved_at__isnull=True, comment__isnull=False),
                name="report_one_open_per_comment",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(resolved_at__isnull=True),
                name="report_open",
            ),
        ]

    def __str__(self) -> str:
        target = (
            f"proposal {self.proposal_id}" if self.proposal_id else f"comment {self.comment_id}"
        )
        return f"{target}: {self.reason[:40]}"


class ProjectDataVersion(models.Model):
    """A number that changes, in the same transaction, with anything a project's page shows.

    Database triggers set it (migration 0007): on every table the page reads (the project, its
    categories, proposals, comments, votes, paper tallies, and the city's sites), for every
    statement, so every write path reaches it: services, the admin, bulk and raw SQL, management
    commands, cascading deletes. Each change draws a new number from one sequence, so a number
    never comes back, not even for a re-created project. Pages kept for visitors are keyed by it
    (proposals/views.py); nothing else may rely on its value.

    The project is a plain id, not a foreign key: deleting a project deletes its proposals
    first, and their triggers would otherwise touch a row whose project is about to go.
    """

    project_id = models.BigIntegerField(_("project"), primary_key=True)
    version = models.BigIntegerField(_("data version"))

    class Meta:
        verbose_name = _("data version of a project")
        verbose_name_plural = _("data versions of projects")

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.version}"
