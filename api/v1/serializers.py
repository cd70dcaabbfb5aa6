"""Serializers of API v1: they validate and shape data; the services decide and store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator, validate_slug
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param
from rest_framework_gis.fields import GeometryField

from accounts.selectors import display_name
from api.pages import project_path
from api.pagination import DEFAULT_LIMIT, GEOJSON, MAX_ID, MAX_LIMIT, MAX_OFFSET
from geo.validation import parse_bbox, parse_geometry
from infra.images import CleanImage, clean_image
from locations.models import Site
from proposals.features import DETAIL, LIST, PROPERTIES, VOTE_COUNT_HELP, Property
from proposals.models import Category, Comment, Phase, Project, Proposal, Vote
from proposals.photos import ALT_MAX_LENGTH
from proposals.rules import Sight
from proposals.selectors import projects_visible_to, proposals_visible_to

POINT_SCHEMA = {
    "type": "object",
    "description": "A GeoJSON Point in WGS 84 (EPSG:4326), coordinates [longitude, latitude].",
    "properties": {
        "type": {"type": "string", "pattern": "^Point$", "example": "Point"},
        "coordinates": {
            "type": "array",
            "items": {"type": "number", "format": "double"},
            "minItems": 2,
            "maxItems": 3,
            "example": [7.7689, 49.4447],
        },
    },
    "required": ["type", "coordinates"],
}


# ---- input fields -------------------------------------------------------------------------


@extend_schema_field(POINT_SCHEMA)
class PointGeometryField(GeometryField):
    """A GeoJSON geometry; that it is a point inside the project is the service's to judge."""

    default_error_messages = {
        "invalid": _(
            "Give the place as a GeoJSON Point geometry: an object with the type Point and "
            "the coordinates [longitude, latitude] in WGS 84."
        ),
    }

    def to_internal_value(self, value: Any) -> GEOSGeometry:
        if not isinstance(value, Mapping | str):
            raise serializers.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            # Checked before anything transforms it (geo/validation.py says why).
            return parse_geometry(value, field="location")
        except DjangoValidationError as exc:
            error = exc.error_dict["location"][0]
            if error.code == "syntax":
                # Our own wording for this field: it says what a pin looks like.
                raise serializers.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            raise serializers.ValidationError(error.messages, code=error.code) from None


@extend_schema_field(OpenApiTypes.STR)
class VisibleProjectField(serializers.SlugRelatedField):
    """A project by slug, among those the requesting user may see."""

    # DRF fills these in with str.format.
    default_error_messages = {
        "does_not_exist": _("There is no project “{value}”."),
        "invalid": _("Give the project's slug."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        # Anything else names no project, and a NUL byte would not even reach the database.
        if isinstance(data, str):
            try:
                validate_slug(data)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages, code="invalid") from None
        return super().to_internal_value(data)

    def get_queryset(self) -> Any:
        return projects_visible_to(self.context["request"].user)


def is_whole_number(data: Any) -> bool:
    """A JSON integer or a string of digits: `21.9` and `21.0` are not (never cut to 21)."""
    return not isinstance(data, bool) and (
        isinstance(data, int) or (isinstance(data, str) and data.isascii() and data.isdigit())
    )


class WholeNumberField(serializers.IntegerField):
    """An integer field that refuses floats instead of truncating them."""

    def to_internal_value(self, data: Any) -> int:
        if not is_whole_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumberIdField(serializers.PrimaryKeyRelatedField):
    """An id as a JSON integer (or digits) within a bigint: `21.9` is refused, not cut to 21,
    and 1e400 never reaches the database."""

    def to_internal_value(self, data: Any) -> Any:
        if not is_whole_number(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= int(data) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(data))


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class VisibleProposalField(WholeNumberIdField):
    """A proposal by id, among those the requesting user may see."""

    default_error_messages = {
        "does_not_exist": _("There is no proposal with the id {pk_value}."),
        "incorrect_type": _("Give the proposal's id as a whole number."),
    }

    def get_queryset(self) -> Any:
        # Any proposal whose page the user may open: whether they may comment on it or vote
        # for it is the service's rule to say (403 with the reason), not a "no such proposal".
        user = self.context["request"].user
        return proposals_visible_to(user, sight=Sight.REACHABLE).select_related("project")


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class VisibleCommentField(WholeNumberIdField):
    default_error_messages = {
        "does_not_exist": _("There is no comment with the id {pk_value}."),
        "incorrect_type": _("Give the comment's id as a whole number."),
    }

    def get_queryset(self) -> Any:
        return Comment.objects.filter(is_hidden=False)


# ---- query parameters ---------------------------------------------------------------------

_DECIMAL = r"-?[0-9]{1,3}(\.[0-9]{1,15})?"
BBOX_PATTERN = rf"^{_DECIMAL},{_DECIMAL},{_DECIMAL},{_DECIMAL}$"
BBOX_MESSAGE = _(
    "Give the box as four numbers: min longitude, min latitude, max longitude, max latitude."
)


class FeaturePageQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(
        required=False,
        # Four plain decimal numbers; the pattern also goes into the OpenAPI document.
        validators=[RegexValidator(BBOX_PATTERN, message=BBOX_MESSAGE)],
        help_text=_(
            "Only features inside this box: min longitude, min latitude, max longitude, "
            "max latitude (WGS 84), e.g. 7.74,49.43,7.79,49.45."
        ),
    )
    limit = serializers.IntegerField(
        required=False,
        default=DEFAULT_LIMIT,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=_("Features per page."),
    )
    offset = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_OFFSET,
        help_text=_("Features to skip."),
    )

    def validate_bbox(self, value: str) -> Any:
        try:
            return parse_bbox(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class SiteQuerySerializer(FeaturePageQuerySerializer):
    kind = serializers.ChoiceField(
        choices=Site.Kind.choices, required=False, help_text=_("Only sites of this kind.")
    )


class CommentQuerySerializer(serializers.Serializer):
    proposal = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("The proposal whose comments to list.")
    )


# ---- writes -------------------------------------------------------------------------------


class ProposalCreateSerializer(serializers.Serializer):
    """A new pin. Also accepted as a GeoJSON Feature carrying these fields as properties."""

    project = VisibleProjectField(help_text=_("The project's slug."))
    title = serializers.CharField(max_length=Proposal._meta.get_field("title").max_length)
    description = serializers.CharField(
        max_length=Proposal._meta.get_field("description").max_length,
        required=False,
        allow_blank=True,
        default="",
    )
    category = serializers.SlugField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The slug of one of the project's categories."),
    )
    location = PointGeometryField()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("type") == "Feature":
            properties = data.get("properties") or {}
            if not isinstance(properties, Mapping):
                raise serializers.ValidationError(
                    {"properties": [_("A Feature's properties must be an object.")]}
                )
            data = {**properties, "location": data.get("geometry")}
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        slug = attrs.get("category")
        if slug is not None:
            category = Category.objects.filter(project=attrs["project"], slug=slug).first()
            if category is None:
                raise serializers.ValidationError(
                    {"category": [_("The project has no category “%(slug)s”.") % {"slug": slug}]}
                )
            attrs["category"] = category
        return attrs


class CommentCreateSerializer(serializers.Serializer):
    proposal = VisibleProposalField()
    body = serializers.CharField(max_length=Comment._meta.get_field("body").max_length)
    # Declared fields are taken off the class, so `parent` does not shadow Field.parent.
    parent = VisibleCommentField(  # type: ignore[assignment]
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The comment this one answers, if any."),
    )


class VoteCreateSerializer(serializers.Serializer):
    # A plain id: vote_cast reads the proposal with its project along with its locks.
    proposal = WholeNumberField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            "invalid": _("Give the proposal's id as a whole number."),
            "min_value": _("There is no such proposal, or it is not public."),
            "max_value": _("There is no such proposal, or it is not public."),
        },
    )


class PhotoCreateSerializer(serializers.Serializer):
    """A photo for a proposal, sent as multipart/form-data."""

    image = serializers.FileField(
        help_text=_(
            "A JPEG, PNG or WebP picture (checked by its content), at most IMAGE_MAX_BYTES. "
            "It is turned upright, resized and re-encoded as JPEG without any metadata."
        )
    )
    alt_text = serializers.CharField(
        max_length=ALT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("What the picture shows, for people who cannot see it."),
    )

    def validate_image(self, upload: Any) -> CleanImage:
        return clean_image(upload, size=upload.size)


# ---- reads --------------------------------------------------------------------------------


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    thumbnail_url = serializers.CharField(read_only=True)
    alt = serializers.CharField(
        read_only=True, help_text=_("The author's description, or one naming the proposal.")
    )
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)
    hidden = serializers.BooleanField(
        source="is_hidden",
        read_only=True,
        help_text=_("Hidden by moderation (only its author and the planners see it)."),
    )


class PhaseSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=Phase.choices)
    label = serializers.CharField(  # type: ignore[assignment] # a declared field, as `parent`
        help_text=_("The phase's name in the language of the request.")
    )


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["name", "slug", "color"]


class ProjectSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField()
    categories = CategorySerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text=_("The project's page."))
    proposals = serializers.SerializerMethodField(
        help_text=_("The project's proposals as a GeoJSON FeatureCollection.")
    )

    class Meta:
        model = Project
        fields = [
            "title",
            "slug",
            "summary",
            "phase",
            "ideas_start",
            "ideas_end",
            "voting_start",
            "voting_end",
            "voting_mode",
            "votes_per_person",
            "max_votes_per_option",
            "results_visibility",
            "allow_citizen_pins",
            "moderation",
            "categories",
            "perimeter",
            "url",
            "proposals",
        ]

    @extend_schema_field(PhaseSerializer)
    def get_phase(self, project: Project) -> dict[str, str]:
        phase = project.phase
        return {"value": phase.value, "label": str(phase.label)}

    def get_url(self, project: Project) -> str:
        return project_path(project.slug)

    @extend_schema_field(OpenApiTypes.URI)
    def get_proposals(self, project: Project) -> str:
        url = self.context["request"].build_absolute_uri(reverse("api-v1:proposals-list"))
        return replace_query_param(url, "project", project.slug)


class ProjectDetailSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields[:3], "body", *ProjectSerializer.Meta.fields[3:]]


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(
        help_text=_(
            "The author's display name, or the project's office for the city's staff; null "
            "once the account is deleted."
        ),
    )
    is_official = serializers.BooleanField(
        read_only=True, help_text=_("Written by the city's staff, for the office.")
    )

    class Meta:
        model = Comment
        fields = ["id", "proposal", "parent", "author", "is_official", "body", "created_at"]
        read_only_fields = fields

    def get_author(self, comment: Comment) -> str | None:
        if comment.is_official:
            return comment.proposal.project.office_name
        # The public name only: never the login name or the e-mail address.
        return display_name(comment.author) if comment.author_id is not None else None


class VoteSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Vote
        fields = ["proposal", "project", "weight", "created_at"]
        read_only_fields = fields


class VoteResultSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    vote_count = serializers.IntegerField(allow_null=True, help_text=VOTE_COUNT_HELP)
    has_voted = serializers.BooleanField()


# ---- GeoJSON documents, for the schema (PostGIS writes them; see proposals/features.py) --------


@extend_schema_field(POINT_SCHEMA)
class _PointDoc(serializers.JSONField):
    pass


def _constant(value: str) -> dict[str, str]:
    # A pattern, not a one-value enum: drf-spectacular would turn every such enum named `type`
    # into a shared component, and the GeoJSON `type`s would collide.
    return {"type": "string", "pattern": f"^{re.escape(value)}$", "example": value}


@extend_schema_field(_constant("Feature"))
class _FeatureType(serializers.CharField):
    pass


@extend_schema_field(_constant("FeatureCollection"))
class _CollectionType(serializers.CharField):
    pass


@extend_schema_field(_constant(GEOJSON))
class _GeoJSONMediaType(serializers.CharField):
    pass


class LinkSerializer(serializers.Serializer):
    rel = serializers.CharField(help_text=_("self, next or prev"))
    href = serializers.URLField()
    type = _GeoJSONMediaType()


def _property_field(prop: Property) -> serializers.Field:
    """The serializer field documenting one property of proposals/features.py."""
    kwargs: dict[str, Any] = {"help_text": prop.help} if prop.help else {}
    if prop.nullable:
        kwargs["allow_null"] = True
    if prop.choices:
        return serializers.ChoiceField(choices=list(prop.choices), **kwargs)
    if prop.schema["type"] == "integer":
        return serializers.IntegerField(**kwargs)
    if prop.schema["type"] == "boolean":
        return serializers.BooleanField(**kwargs)
    if prop.schema.get("format") == "date-time":
        return serializers.DateTimeField(**kwargs)
    return serializers.CharField(**kwargs)


def _properties_serializer(name: str, names: tuple[str, ...]) -> type[serializers.Serializer]:
    """A serializer whose fields are the properties `names`, as the spec defines them."""
    fields = {prop: _property_field(PROPERTIES[prop]) for prop in names}
    attrs = {"__module__": __name__, **fields}
    made = serializers.SerializerMetaclass(name, (serializers.Serializer,), attrs)
    return cast(type[serializers.Serializer], made)


# The documents' properties are the spec's (tests/api/test_feature_spec.py holds them to what
# PostGIS emits).
ProposalPropertiesSerializer = _properties_serializer("ProposalPropertiesSerializer", LIST)
ProposalDetailPropertiesSerializer = _properties_serializer(
    "ProposalDetailPropertiesSerializer", DETAIL
)


class ProposalFeatureSerializer(serializers.Serializer):
    type = _FeatureType()
    id = serializers.IntegerField()
    geometry = _PointDoc()
    properties = ProposalPropertiesSerializer()


class ProposalDetailFeatureSerializer(ProposalFeatureSerializer):
    properties = ProposalDetailPropertiesSerializer()


# A FeatureCollection is one document, not a list of them.
@extend_schema_serializer(many=False)
class ProposalCollectionSerializer(serializers.Serializer):
    type = _CollectionType()
    features = ProposalFeatureSerializer(many=True)
    # camelCase: the members' names in OGC API Features, which GIS clients read.
    numberMatched = serializers.IntegerField()
    numberReturned = serializers.IntegerField()
    links = LinkSerializer(many=True)


class SitePropertiesSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    kind = serializers.ChoiceField(choices=Site.Kind.choices)
    kind_label = serializers.CharField()
    district = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    has_outline = serializers.BooleanField()


class SiteFeatureSerializer(serializers.Serializer):
    type = _FeatureType()
    id = serializers.IntegerField()
    geometry = _PointDoc()
    properties = SitePropertiesSerializer()


# A FeatureCollection is one document, not a list of them.
@extend_schema_serializer(many=False)
class SiteCollectionSerializer(serializers.Serializer):
    type = _CollectionType()
    features = SiteFeatureSerializer(many=True)
    numberMatched = serializers.IntegerField()
    numberReturned = serializers.IntegerField()
    links = LinkSerializer(many=True)
