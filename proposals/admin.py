"""Admin for participation: projects with their categories, proposals, comments; votes read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from geo.admin import MapAdmin
from proposals.models import Category, Comment, Project, Proposal, Vote


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("name", "slug", "color", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Project)
class ProjectAdmin(MapAdmin):
    inlines = (CategoryInline,)
    list_display = ("title", "is_published", "phase_label", "voting_mode", "created_at")
    list_filter = ("is_published", "voting_mode", "moderation")
    search_fields = ("title", "slug", "summary")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("phase_label", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body", "is_published", "phase_label")}),
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        # The list never shows the perimeter; loading every project's polygon would be waste.
        return super().get_queryset(request).defer("perimeter", "body")


@admin.register(Proposal)
class ProposalAdmin(MapAdmin):
    list_display = ("title", "project", "category", "status", "visibility", "created_at")
    list_filter = ("status", "visibility", "project", "created_at")
    list_select_related = ("project", "category")
    search_fields = ("title", "description")
    date_hierarchy = "created_at"
    autocomplete_fields = ("author",)
    raw_id_fields = ("site",)
    readonly_fields = ("created_at", "updated_at")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "category":
            # Category names repeat across projects: show which project each belongs to.
            kwargs["queryset"] = Category.objects.select_related("project")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("short_body", "proposal", "author", "is_hidden", "created_at")
    list_filter = ("is_hidden", "created_at")
    list_select_related = ("proposal", "author")
    search_fields = ("body",)
    raw_id_fields = ("proposal", "parent", "author")
    readonly_fields = ("created_at",)

    @admin.display(description=_("comment"))
    def short_body(self, obj: Comment) -> str:
        return obj.body[:80]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    """Votes are cast by people through `vote_cast`; nobody edits them by hand.

    The voter is not shown: who voted for what is never public, not even in the admin list.
    """

    list_display = ("proposal", "project", "weight", "created_at")
    list_filter = ("project",)
    list_select_related = ("proposal", "project")
    fields = ("project", "proposal", "weight", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
