"""Admin for the city's sites: saved through `site_save`, so the district is always derived."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from geo.admin import MapAdmin
from geo.validation import as_storage_multipolygon, as_storage_point
from locations.models import Site
from locations.services import site_save


class SiteAdminForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = (
            "name",
            "slug",
            "kind",
            "description",
            "location",
            "outline",
            "is_approximate",
            "attributes",
            "external_id",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A site drawn as an outline gets a point on its surface when none is given.
        self.fields["location"].required = False
        self.fields["location"].help_text = _(
            "Leave empty to place the point on the outline automatically."
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        location, outline = cleaned.get("location"), cleaned.get("outline")
        # The service's own checks, run here so that they come back as form errors, not a 500.
        try:
            if outline is not None:
                cleaned["outline"] = outline = as_storage_multipolygon(outline, field="outline")
            if location is not None:
                cleaned["location"] = as_storage_point(location, field="location")
            elif outline is not None:
                # What `site_save` would do; set here because the model requires a point.
                cleaned["location"] = outline.point_on_surface
            elif "location" not in self.errors:
                raise ValidationError(
                    {"location": _("Give the site a point or an outline.")}, code="required"
                )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        return cleaned

    def _get_validation_exclusions(self) -> set[str]:
        exclude: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        # As in `site_save`: GeoDjango cannot evaluate the outline constraints on a NULL outline
        # in Python; without an outline they hold trivially, and the database checks them anyway.
        if self.cleaned_data.get("outline") is None:
            exclude.add("outline")
        return exclude


@admin.register(Site)
class SiteAdmin(MapAdmin):
    form = SiteAdminForm
    list_display = ("name", "kind", "district", "is_approximate", "updated_at")
    list_filter = ("kind", "district", "is_approximate")
    search_fields = ("name", "slug", "external_id", "description")
    list_select_related = ("district",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("district", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "description")}),
        (_("Place"), {"fields": ("location", "outline", "district", "is_approximate")}),
        (_("Data"), {"fields": ("attributes", "external_id", "created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Site, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            obj.created_by = request.user if request.user.is_authenticated else None
        site_save(
            site=obj,
            name=data["name"],
            kind=data["kind"],
            location=data.get("location"),
            outline=data.get("outline"),
            description=data.get("description", ""),
            attributes=data.get("attributes") or {},
            external_id=data.get("external_id"),
            slug=data.get("slug") or None,
            is_approximate=data.get("is_approximate", False),
            actor=request.user,
        )
