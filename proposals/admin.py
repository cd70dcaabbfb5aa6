"""Admin for participation: one more surface over the services and the visibility rules.

Projects are saved through `project_create`/`project_update` (audited; voting rules fixed once
votes exist); proposals and comments change their workflow state only through the review and
moderation services, called by admin actions; votes are read-only and never show the voter.
Staff who are not planners see what the public sees (`proposals_visible_to`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from geo.admin import MapAdmin
from infra.images import CleanImage, clean_image
from proposals import review, rules, services
from proposals.models import Category, Comment, Project, Proposal, ProposalPhoto, Vote
from proposals.photos import photo_moderate
from proposals.selectors import projects_visible_to, proposals_visible_to


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("name", "slug", "color", "position")
    prepopulated_fields = {"slug": ("name",)}


class ProjectAdminForm(forms.ModelForm):
    # The picture goes through infra.images (checked, re-encoded without metadata) and
    # `project_update`, never straight into the file field.
    image_upload = forms.FileField(
        label=_("Project image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP; shown above the project's text. Needs a description."),
    )
    image_remove = forms.BooleanField(label=_("Remove the project image"), required=False)

    class Meta:
        model = Project
        fields = services.PROJECT_FIELDS

    def clean_image_upload(self) -> CleanImage | None:
        upload = self.cleaned_data.get("image_upload")
        return clean_image(upload, size=upload.size) if upload else None

    def image_change(self) -> CleanImage | bool | None:
        """For project_update: the new picture, False to remove it, None to keep it."""
        if self.cleaned_data.get("image_upload"):
            return cast(CleanImage, self.cleaned_data["image_upload"])
        return False if self.cleaned_data.get("image_remove") else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        will_have_image = bool(cleaned.get("image_upload")) or (
            bool(self.instance.image) and not cleaned.get("image_remove")
        )
        if will_have_image and not (cleaned.get("image_alt") or "").strip():
            self.add_error(
                "image_alt", _("Describe the picture: people who cannot see it read this.")
            )
        # The service's own rule, asked here so that a refusal is a form error, not a 500.
        changes = {f: cleaned[f] for f in services.VOTING_RULES if f in cleaned}
        for field, messages_ in services.project_rule_errors(self.instance, changes).items():
            self.add_error(field, messages_)
        return cleaned


@admin.register(Project)
class ProjectAdmin(MapAdmin):
    form = ProjectAdminForm
    inlines = (CategoryInline,)
    list_display = ("title", "is_published", "phase_label", "voting_mode", "created_at")
    list_filter = ("is_published", "voting_mode", "moderation")
    search_fields = ("title", "slug", "summary")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("phase_label", "image_preview", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "summary",
                    "body",
                    "office",
                    "is_published",
                    "phase_label",
                )
            },
        ),
        (_("Image"), {"fields": ("image_preview", "image_upload", "image_remove", "image_alt")}),
        (_("Area"), {"fields": ("perimeter",)}),
        (
            _("Phases"),
            {"fields": (("ideas_start", "ideas_end"), ("voting_start", "voting_end"))},
        ),
        (
            _("Rules of participation"),
            {
                "fields": (
                    "allow_citizen_pins",
                    "moderation",
                    "voting_mode",
                    "votes_per_person",
                    "max_votes_per_option",
                    "results_visibility",
                )
            },
        ),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("phase"))
    def phase_label(self, obj: Project) -> str:
        return str(obj.phase.label) if obj.pk else "-"

    @admin.display(description=_("current image"))
    def image_preview(self, obj: Project) -> str:
        if not obj.pk or not obj.image:
            return "-"
        return format_html(
            '<img src="{}" alt="{}" style="max-width: 20rem">',
            reverse("proposals:project-image", kwargs={"slug": obj.slug, "variant": "thumb"}),
            obj.image_alt,
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        # The list never shows the perimeter; loading every project's polygon would be waste.
        visible = projects_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible).defer("perimeter", "body")

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        values = {
            f: form.cleaned_data[f] for f in services.PROJECT_FIELDS if f in form.cleaned_data
        }
        if change:
            changes = {f: values[f] for f in form.changed_data if f in values}
            services.project_update(
                actor=request.user, project=obj, changes=changes, image=form.image_change()
            )
        else:
            image = form.image_change()
            created = services.project_create(
                actor=request.user, values=values, image=image or None
            )
            obj.pk = created.pk
            obj._state.adding = False


class StaffActionForm(ActionForm):
    """The admin's action bar, with the text that moderation and review actions need."""

    text = forms.CharField(
        label=_("Reason or official response"),
        required=False,
        max_length=5000,
        help_text=_("Hiding needs a reason (the author reads it); a new status needs a response."),
    )


def _run(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    objects: QuerySet[Any],
    call: Callable[[Any, str], Any],
) -> None:
    """Call a service per object; report what was done and, per object, why not."""
    text = request.POST.get("text", "")
    done = 0
    for obj in objects:
        try:
            call(obj, text)
        except (ValidationError, PermissionDenied) as exc:
            reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            modeladmin.message_user(request, f"{obj}: {' '.join(reasons)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, _("Done for %(n)d of %(total)d.") % {"n": done, "total": len(objects)}
        )


def _moderation_action(action: str, label: Any) -> Any:
    @admin.action(description=label, permissions=["change"])
    def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if queryset.model is Comment:
            queryset = queryset.select_related("proposal__project")
            _run(
                modeladmin,
                request,
                queryset,
                lambda c, text: review.comment_moderate(
                    actor=request.user, comment=c, action=action, reason=text
                ),
            )
        else:
            _run(
                modeladmin,
                request,
                queryset.select_related("project"),
                lambda p, text: review.proposal_moderate(
                    actor=request.user, proposal=p, action=action, reason=text
                ),
            )

    run.__name__ = f"moderate_{action}"
    return run


def _transition_action(status: Proposal.Status) -> Any:
    @admin.action(
        description=format_lazy(
            _("Set the status to “{status}” (with the official response)"), status=status.label
        ),
        permissions=["change"],
    )
    def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        _run(
            modeladmin,
            request,
            queryset.select_related("project"),
            lambda p, text: review.proposal_transition(
                actor=request.user, proposal=p, to_status=status.value, response_text=text
            ),
        )

    run.__name__ = f"transition_{status.value}"
    return run


MODERATION = [
    _moderation_action("approve", _("Approve (publish, or keep after reports)")),
    _moderation_action("hide", _("Hide (with the reason)")),
    _moderation_action("restore", _("Restore")),
]


class ProposalAdminForm(forms.ModelForm):
    class Meta:
        model = Proposal
        fields = ("title", "description", "category", "location")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        location = cleaned.get("location")
        if self.instance.pk and location is not None and "location" not in self.errors:
            # The service's own checks (perimeter, category), as form errors.
            try:
                services.check_place_and_category(
                    self.instance.project, location, cleaned.get("category")
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Proposal)
class ProposalAdmin(MapAdmin):
    form = ProposalAdminForm
    action_form = StaffActionForm
    actions = [*MODERATION, *(_transition_action(s) for s in Proposal.Status)]
    list_display = ("title", "project", "category", "status", "visibility", "created_at")
    list_filter = ("status", "visibility", "project", "created_at")
    list_select_related = ("project", "category")
    search_fields = ("title", "description")
    date_hierarchy = "created_at"
    # Workflow state changes only through the review and moderation services (the actions
    # above, or the workspace), so that responses, audit entries and notifications happen.
    readonly_fields = (
        "project",
        "site",
        "author",
        "status",
        "visibility",
        "moderation_reason",
        "merged_into",
        "related",
        "created_at",
        "updated_at",
    )
    fields = ("title", "description", "category", "location", *readonly_fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        return proposals_visible_to(request.user).select_related("project", "category")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Pins are placed on the map, options put up in the workspace: both through services.
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "category":
            # Category names repeat across projects: show which project each belongs to.
            kwargs["queryset"] = Category.objects.select_related("project")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Proposal, form: Any, change: bool) -> None:
        data = form.cleaned_data
        review.proposal_edit(
            actor=request.user,
            proposal=obj,
            title=data["title"],
            description=data.get("description", ""),
            category=data.get("category"),
            location=data.get("location"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # related proposals are linked in the workspace (`proposal_link`, audited)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    action_form = StaffActionForm
    actions = MODERATION
    list_display = ("short_body", "proposal", "author", "is_official", "is_hidden", "created_at")
    list_filter = ("is_hidden", "created_at")
    list_select_related = ("proposal", "author")
    search_fields = ("body",)
    # A comment is the author's words: nobody edits it; moderation hides it (actions above).
    fields = (
        "proposal",
        "parent",
        "author",
        "is_official",
        "body",
        "is_hidden",
        "moderation_reason",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("comment"))
    def short_body(self, obj: Comment) -> str:
        return obj.body[:80]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        comments = super().get_queryset(request)
        if rules.is_planner(request.user):
            return comments
        # Everyone else sees what the public sees: shown comments on visible proposals.
        return comments.filter(is_hidden=False, proposal__in=proposals_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def _photo_action(action: str, label: Any) -> Any:
    @admin.action(description=label, permissions=["change"])
    def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ProposalPhoto]) -> None:
        _run(
            modeladmin,
            request,
            queryset.select_related("proposal__project"),
            lambda photo, text: photo_moderate(
                actor=request.user, photo=photo, action=action, reason=text
            ),
        )

    run.__name__ = f"photo_{action}"
    return run


@admin.register(ProposalPhoto)
class ProposalPhotoAdmin(admin.ModelAdmin):
    """Photos are moderated like text: hidden with a reason (audited), or restored."""

    action_form = StaffActionForm
    actions = [
        _photo_action("hide", _("Hide (with the reason above)")),
        _photo_action("restore", _("Restore")),
    ]
    list_display = ("thumbnail_preview", "proposal", "alt_text", "is_hidden", "created_at")
    list_filter = ("is_hidden", "created_at")
    list_select_related = ("proposal__project",)
    fields = (
        "thumbnail_preview",
        "proposal",
        "alt_text",
        "width",
        "height",
        "is_hidden",
        "moderation_reason",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def thumbnail_preview(self, obj: ProposalPhoto) -> str:
        return format_html(
            '<img src="{}" alt="{}" style="max-height: 6rem">', obj.thumbnail_url, obj.alt
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProposalPhoto]:
        photos = super().get_queryset(request)
        if rules.is_planner(request.user):
            return photos
        return photos.filter(is_hidden=False, proposal__in=proposals_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    """Votes are cast by people through `vote_cast`; nobody edits them by hand.

    The voter is never shown, filtered, searched or sorted on: who voted for what stays in the
    database (and in each person's own data export).
    """

    list_display = ("proposal", "project", "weight", "created_at")
    list_filter = ("project",)
    list_select_related = ("proposal", "project")
    fields = ("project", "proposal", "weight", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vote]:
        votes = super().get_queryset(request)
        if rules.is_planner(request.user):
            return votes
        # The proposals' titles are shown: only of proposals this person may see.
        return votes.filter(proposal__in=proposals_visible_to(request.user))

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Django allows any local field in the URL (`?user=19`), and a relation could lead back
        # to voters (`?proposal__votes__user=19`): only the list's own filter is allowed.
        first, *rest = lookup.split("__")
        return first == "project" and set(rest) <= {"id", "pk", "exact", "in"}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
