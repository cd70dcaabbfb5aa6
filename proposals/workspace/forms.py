"""Forms of the planners' workspace: filters (also read by its API), review and moderation."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.analysis import MAX_DISTANCE_M, MAX_DUPLICATE_DISTANCE_M
from geo.models import Area
from geo.validation import as_storage_multipolygon, parse_geometry, point_from_lonlat
from locations.models import Site
from proposals.models import Category, PaperTally, Project, Proposal
from proposals.selectors import current_tallies

# A hand-drawn polygon has tens of vertices; this leaves room and stops absurd requests.
MAX_POLYGON_CHARS = 100_000


def _choices(blank: str, pairs: Any) -> list[tuple[str, str]]:
    return [("", blank), *((str(k), str(v)) for k, v in pairs)]


class WorkspaceFilterForm(forms.Form):
    """What the list, the map and the analyses show; every field is optional."""

    project = forms.ChoiceField(label=gettext_lazy("Project"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    district = forms.ChoiceField(label=gettext_lazy("District"), required=False)
    visibility = forms.ChoiceField(label=gettext_lazy("Visibility"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("Submitted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("Submitted until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = forms.CharField(label=gettext_lazy("Text"), required=False, max_length=200)
    # Spatial filters: within a distance of a site or of a point, or inside a polygon.
    site = forms.ChoiceField(label=gettext_lazy("Near the site"), required=False)
    lat = forms.FloatField(label=gettext_lazy("Near latitude"), required=False)
    lon = forms.FloatField(label=gettext_lazy("Near longitude"), required=False)
    distance = forms.IntegerField(
        label=gettext_lazy("Within (metres)"), required=False, min_value=1, max_value=MAX_DISTANCE_M
    )
    polygon = forms.CharField(
        label=gettext_lazy("Inside the polygon"),
        required=False,
        max_length=MAX_POLYGON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Draw it on the map, or type it as WKT or GeoJSON in longitude/latitude "
            "(EPSG:4326), e.g. POLYGON((7.76 49.44, 7.77 49.44, 7.77 49.45, 7.76 49.44))."
        ),
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        fields = self.fields
        cast(forms.ChoiceField, fields["project"]).choices = _choices(
            _("All projects"), Project.objects.values_list("slug", "title")
        )
        cast(forms.ChoiceField, fields["status"]).choices = _choices(
            _("All statuses"), Proposal.Status.choices
        )
        cast(forms.ChoiceField, fields["visibility"]).choices = _choices(
            _("Any visibility"), Proposal.Visibility.choices
        )
        cast(forms.ChoiceField, fields["category"]).choices = _choices(
            _("All categories"),
            (
                (c.pk, f"{c.project.title}: {c.name}")
                for c in Category.objects.select_related("project").order_by("project", "position")
            ),
        )
        cast(forms.ChoiceField, fields["district"]).choices = _choices(
            _("All districts"),
            Area.objects.filter(kind=Area.Kind.DISTRICT).values_list("slug", "name"),
        )
        cast(forms.ChoiceField, fields["site"]).choices = _choices(
            _("No site"), Site.objects.order_by("name").values_list("slug", "name")
        )

    WHAT = ("project", "status", "category", "district", "visibility", "date_from", "date_to", "q")
    WHERE = ("site", "lat", "lon", "distance", "polygon")

    def what_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.WHAT]

    def where_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.WHERE]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            self.add_error("lat", _("Give both latitude and longitude."))
        elif lat is not None:
            try:
                data["point"] = point_from_lonlat(lon, lat, field="lat")
            except ValidationError as exc:
                self.add_error(None, exc)
        near = data.get("site") or data.get("point")
        if data.get("site") and data.get("point"):
            self.add_error("site", _("Choose a site or a point, not both."))
        if near and not data.get("distance"):
            self.add_error("distance", _("Give the distance in metres."))
        if data.get("distance") and not near:
            self.add_error("distance", _("Choose a site or a point for the distance."))
        if data.get("polygon"):
            try:
                data["area"] = parse_polygon(data["polygon"])
            except ValidationError as exc:
                self.add_error("polygon", exc.messages)
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date lies before the start date."))
        return data


def parse_polygon(text: str) -> GEOSGeometry:
    """A polygon typed as WKT or GeoJSON (EPSG:4326 unless it says otherwise), valid, or a
    clear message; checked before anything transforms it (geo/validation.py)."""
    try:
        return as_storage_multipolygon(parse_geometry(text, field="polygon"), field="polygon")
    except ValidationError as exc:
        error = exc.error_dict["polygon"][0]
        if error.code == "syntax":
            raise ValidationError(
                _("This is neither WKT nor GeoJSON of a polygon."), code="invalid"
            ) from None
        raise ValidationError(exc.message_dict["polygon"]) from None


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=gettext_lazy("New status"))
    response_text = forms.CharField(
        label=gettext_lazy("Official response (public)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    office = forms.CharField(
        label=gettext_lazy("Signed by (office)"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Leave empty to sign with the project's office."),
    )

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Proposal.Status.choices)
        cast(forms.ChoiceField, self.fields["to_status"]).choices = [
            (value, labels[value]) for value in allowed
        ]


class ModerationForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[
            ("approve", gettext_lazy("Approve")),
            ("hide", gettext_lazy("Hide")),
            ("restore", gettext_lazy("Restore")),
        ],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (the author reads it)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PhotoModerationForm(forms.Form):
    """Hide or restore one photo; the reason a hidden photo needs is the service's rule
    (proposals.photos.photo_moderate), so the form leaves it optional."""

    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("hide", gettext_lazy("Hide")), ("restore", gettext_lazy("Restore"))],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for hiding (the author reads it)"),
        required=False,
        max_length=1000,
    )


class MergeForm(forms.Form):
    target = forms.IntegerField(label=gettext_lazy("Merge into proposal number"), min_value=1)
    reason = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=1000)


class LinkForm(forms.Form):
    other = forms.IntegerField(label=gettext_lazy("Related proposal number"), min_value=1)
    linked = forms.TypedChoiceField(
        label=gettext_lazy("Action"),
        choices=[("1", gettext_lazy("Link")), ("0", gettext_lazy("Unlink"))],
        coerce=lambda v: v == "1",
        initial="1",
    )


class DuplicateForm(forms.Form):
    project = forms.ChoiceField(label=gettext_lazy("Project"), required=False)
    distance = forms.IntegerField(
        label=gettext_lazy("At most (metres) apart"),
        min_value=1,
        max_value=MAX_DUPLICATE_DISTANCE_M,
        initial=50,
        required=False,
    )
    similarity = forms.FloatField(
        label=gettext_lazy("Title similarity at least (0 to 1)"),
        min_value=0.1,
        max_value=1.0,
        initial=0.4,
        required=False,
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        cast(forms.ChoiceField, self.fields["project"]).choices = _choices(
            _("All projects"), Project.objects.values_list("slug", "title")
        )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is wrong with it?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NotificationSettingsForm(forms.Form):
    email_on_review = forms.BooleanField(
        label=gettext_lazy("E-mail me when the city answers or moderates my contributions"),
        required=False,
    )


class TallyForm(forms.Form):
    """Paper ballots of one event: the event, the ballots, and the votes per option.

    One number field per option (`option_<id>`), so the form reads like the paper tally sheet.
    Choosing an earlier record under "corrects" makes this a correction that supersedes it.
    """

    event_name = forms.CharField(label=gettext_lazy("Event"), max_length=200)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    event_date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ballots = forms.IntegerField(label=gettext_lazy("Ballots cast"), min_value=0)
    counted_by = forms.CharField(label=gettext_lazy("Counted by"), max_length=200)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    supersedes = forms.ModelChoiceField(
        label=gettext_lazy("Corrects the record"),
        queryset=PaperTally.objects.none(),  # the project's current records, set per form
        required=False,
        empty_label=gettext_lazy("(none: a new event)"),
    )
    correction_reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    separate_count = forms.BooleanField(
        label=gettext_lazy("This is a separate count"),
        required=False,
        help_text=gettext_lazy(
            "Only when the same event, place and date is already recorded and this is another "
            "count (e.g. a second ballot box), not the same sheet entered again."
        ),
    )

    def __init__(self, *args: Any, project: Project, options: list[Proposal], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["supersedes"].queryset = current_tallies(project).order_by("event_date")  # type: ignore[attr-defined]
        self.option_fields = []
        for option in options:
            name = f"option_{option.pk}"
            self.fields[name] = forms.IntegerField(
                label=option.title, min_value=0, initial=0, required=True
            )
            self.option_fields.append(name)

    def counts(self) -> dict[int, int]:
        return {
            int(name.removeprefix("option_")): self.cleaned_data[name]
            for name in self.option_fields
        }
