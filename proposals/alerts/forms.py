"""Forms of alerts: the e-mail setting, an area subscription, a progress update."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geo.models import Area
from geo.validation import parse_geometry
from infra.images import CleanImage, clean_image
from locations.models import Site
from proposals.alerts.models import Frequency, ProgressUpdate, Subscription
from proposals.models import Category, Project

AREA_KINDS = [
    (Subscription.Kind.DISTRICT, _("a district")),
    (Subscription.Kind.RADIUS, _("the surroundings of a site")),
    (Subscription.Kind.DRAWN, _("an area I draw")),
]


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("E-mails about what you follow"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
    )


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.project.title})"


class AreaSubscriptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Alerts for"), choices=AREA_KINDS, widget=forms.RadioSelect)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("name"),
        required=False,
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.order_by("name"), required=False
    )
    radius_m = forms.IntegerField(
        label=_("Radius in metres"),
        min_value=50,
        max_value=5000,
        initial=500,
        required=False,
        help_text=_("Between 50 and 5000 metres around the site."),
    )
    drawn = forms.CharField(
        label=_("Drawn area"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Draw it on the map above, or give a polygon as GeoJSON or WKT in WGS 84 "
            "(longitude, latitude)."
        ),
    )
    projects = forms.ModelMultipleChoiceField(
        label=_("Only in these projects"),
        queryset=Project.objects.filter(is_published=True).order_by("title"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: all projects."),
    )
    categories = CategoryChoiceField(
        label=_("Only in these categories"),
        queryset=Category.objects.filter(project__is_published=True)
        .select_related("project")
        .order_by("project__title", "position", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: all categories."),
    )

    def clean_drawn(self) -> Any:
        raw = self.cleaned_data.get("drawn", "").strip()
        if not raw:
            return None
        try:
            return parse_geometry(raw, field="drawn")
        except ValidationError as error:
            # The parser names its field; a form's clean_<field> gives only the messages.
            raise ValidationError(error.messages, code="invalid") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Subscription.Kind.DISTRICT and not data.get("district"):
            self.add_error("district", ValidationError(_("Choose a district."), code="required"))
        if kind == Subscription.Kind.RADIUS:
            if not data.get("site"):
                self.add_error("site", ValidationError(_("Choose a site."), code="required"))
            if data.get("radius_m") is None and "radius_m" not in self.errors:
                self.add_error(
                    "radius_m", ValidationError(_("Give a radius in metres."), code="required")
                )
        if kind == Subscription.Kind.DRAWN and not data.get("drawn") and "drawn" not in self.errors:
            self.add_error("drawn", ValidationError(_("Draw an area."), code="required"))
        return data


class ProgressForm(forms.ModelForm):
    image_upload = forms.FileField(
        label=_("Photo of the works"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Optional: JPEG, PNG or WebP. Location and camera data are removed."),
    )

    class Meta:
        model = ProgressUpdate
        fields = ["text", "stage", "percent", "image_upload", "image_alt"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"image_alt": _("What the photo shows, for people who cannot see it.")}

    def clean_image_upload(self) -> CleanImage | None:
        upload = self.cleaned_data.get("image_upload")
        return clean_image(upload, size=upload.size) if upload else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("image_upload") and not (data.get("image_alt") or "").strip():
            self.add_error(
                "image_alt", _("Describe the picture: people who cannot see it read this.")
            )
        return data
