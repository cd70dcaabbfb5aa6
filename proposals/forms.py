"""Forms of the participation pages: they parse input for one service call each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from geo.crs import STORAGE_SRID
from infra.images import CleanImage, clean_image
from proposals.models import Category, Comment, PaperTally, Project, Proposal
from proposals.photos import ALT_MAX_LENGTH, NewPhoto
from proposals.selectors import Place


class ProposalForm(forms.Form):
    """A pin: what it is about, and where — by map click, from the list of places, or as numbers.

    The map only fills in the number fields (and clears the list), so the form works the same
    with a mouse, with a keyboard and without JavaScript.
    """

    # Where first, then what: the order of the page (and so of the error summary).
    place = forms.ChoiceField(
        label=_("Choose a place from the list"),
        required=False,
        help_text=_("Squares, sites and districts inside the project area."),
    )
    lon = forms.FloatField(
        label=_("Longitude (east)"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Decimal degrees, e.g. 7.7689"),
    )
    lat = forms.FloatField(
        label=_("Latitude (north)"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Decimal degrees, e.g. 49.4447"),
    )

    title = forms.CharField(
        label=_("Title"),
        max_length=Proposal._meta.get_field("title").max_length,
        help_text=_("A short name for your idea, e.g. “Benches in the shade”."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Proposal._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What should happen here, and for whom? (optional)"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("No category"),
    )
    photo = forms.FileField(
        label=_("Choose a photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_(
            "Optional: a JPEG, PNG or WebP picture of the place, up to %(mb)s MB. Location and "
            "camera data are removed before it is published."
        )
        % {"mb": round(settings.IMAGE_MAX_BYTES / 1_000_000)},
    )
    photo_alt = forms.CharField(
        label=_("What does the photo show?"),
        required=False,
        max_length=ALT_MAX_LENGTH,
        help_text=_("A short description for people who cannot see the picture (optional)."),
    )
    # The service's field names, as this form shows them.
    SERVICE_FIELDS = {"location": "place"}

    def __init__(
        self, *args: Any, project: Project, places: Iterable[Place], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.places = {p.key: p for p in places}
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = project.categories.all()
        if not project.categories.exists():
            del self.fields["category"]
        grouped: list[Any] = [("", _("— none, I use the map or coordinates —"))]
        for group, entries in groupby(self.places.values(), key=lambda p: p.group):
            grouped.append((group, [(p.key, p.name) for p in entries]))
        cast(forms.ChoiceField, self.fields["place"]).choices = grouped

    def clean_photo(self) -> CleanImage | None:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return clean_image(upload, size=upload.size)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # noqa: S101 - Form.clean returns its cleaned_data
        lon, lat, key = data.get("lon"), data.get("lat"), data.get("place")
        # A coordinate field with its own error already said what is wrong with it.
        if "lon" in self.errors or "lat" in self.errors:
            return data
        if (lon is None) != (lat is None):
            missing = "lat" if lat is None else "lon"
            self.add_error(missing, _("Enter both longitude and latitude."))
        elif key and lon is not None:
            self.add_error(
                "place", _("Choose either a place from the list or coordinates, not both.")
            )
        elif key:
            place = self.places[key]
            data["location"] = Point(place.lon, place.lat, srid=STORAGE_SRID)
        elif lon is not None:
            data["location"] = Point(lon, lat, srid=STORAGE_SRID)
        else:
            self.add_error(
                "place",
                _(
                    "Choose a place: click the map inside the project area, choose a place "
                    "from the list, or enter coordinates."
                ),
            )
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "category": data.get("category"),
            "location": data["location"],
            "photos": (
                [NewPhoto(image=data["photo"], alt_text=data.get("photo_alt", ""))]
                if data.get("photo")
                else []
            ),
        }


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    SERVICE_FIELDS = {"parent": "body"}


# Service fields that no form shows, named for the person reading the error.
SERVICE_FIELD_LABELS = {
    "counts": _("Votes per option"),
    "source": _("Proposal"),
    "comment": _("Comment"),
    "proposal": _("Proposal"),
}


def _field_label(form: forms.Form, field: str) -> str:
    if field in form.fields:
        return str(form.fields[field].label or field)
    if field in SERVICE_FIELD_LABELS:
        return str(SERVICE_FIELD_LABELS[field])
    for model in (Proposal, Comment, PaperTally):
        try:
            model_field = model._meta.get_field(field)
        except FieldDoesNotExist:
            continue
        return capfirst(str(getattr(model_field, "verbose_name", field)))
    return field


def add_service_errors(form: forms.Form, error: ValidationError, *, about: str = "") -> None:
    """A service's refusal onto the form, codes kept: a field the form shows gets its errors;
    any other field's error (or, with `about`, an error about another object than the form's)
    becomes a form-wide error that names the field and the object, so no message stands
    there without saying what it is about."""
    mapping: Mapping[str, str] = getattr(form, "SERVICE_FIELDS", {})
    prefix = f"{about}, " if about else ""
    if not hasattr(error, "error_dict"):
        form.add_error(
            None, [ValidationError(prefix + m) for m in error.messages] if about else error
        )
        return
    for field, errors in error.error_dict.items():
        target = mapping.get(field, field)
        if target in form.fields and not about:
            form.add_error(target, errors)
            continue
        label = "" if field == NON_FIELD_ERRORS else f"{_field_label(form, field)}: "
        form.add_error(
            None,
            [
                ValidationError(f"{prefix}{label}{message}", code=e.code)
                for e in errors
                for message in e.messages
            ],
        )
