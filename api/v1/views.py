"""Views of API v1: each parses its input, calls one selector or service, and renders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import GEOJSON, MAX_ID, feature_collection_response
from api.parsers import CappedGeoJSONParser, CappedJSONParser
from api.v1 import serializers as s
from api.v1.features import SITE_SPEC, site_rows
from api.v1.filters import filterset_parameters, valid_filters
from geo.geojson import features
from infra.ratelimit import Exceeded, RateLimited, client_key, counting
from locations.models import Site
from proposals import rules
from proposals.features import DETAIL_SPEC, LIST_SPEC, public_proposal_rows, with_feature_columns
from proposals.filters import ProposalFilter
from proposals.models import Comment, Project, Proposal, Vote
from proposals.photos import NewPhoto, photo_add, photos_visible_to
from proposals.rules import Sight
from proposals.selectors import (
    projects_visible_to,
    proposal_vote_total,
    proposals_in_bbox,
    proposals_visible_to,
)
from proposals.services import comment_create, proposal_create, vote_cast, vote_withdraw

BAD_REQUEST = OpenApiResponse(description=_("Invalid input: messages per field."))
FORBIDDEN = OpenApiResponse(description=_("Not allowed: `detail` says why."))
NOT_FOUND = OpenApiResponse(description=_("Not found, or not visible to you."))
TOO_LARGE = OpenApiResponse(description=_("The request body exceeds 64 KiB."))
PHOTO_TOO_LARGE = OpenApiResponse(
    description=_("The request body exceeds IMAGE_MAX_BYTES plus 64 KiB.")
)
FEATURE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class RequestLanguage:
    """The API has no language prefix: it answers in the language the client asks for.

    (LocaleMiddleware gives every unprefixed path the default language.) The language is
    active while the view runs and its response renders, and not a moment longer.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            if isinstance(response, SimpleTemplateResponse):
                response.render()
        response.headers["Content-Language"] = language
        return response


class GeoJSONNegotiation(DefaultContentNegotiation):
    """GeoJSON views answer GeoJSON whatever the client accepts; their errors are plain JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class GeoJSONViewSet(RequestLanguage, viewsets.ViewSet):
    # PostGIS writes the documents; the renderer only renders errors.
    renderer_classes = [JSONRenderer]
    parser_classes = [CappedJSONParser, CappedGeoJSONParser]
    content_negotiation_class = GeoJSONNegotiation
    lookup_field = "id"
    lookup_value_regex = "[0-9]+"


class ProjectViewSet(RequestLanguage, viewsets.ReadOnlyModelViewSet):
    """Participation projects: information, phase, voting rules, categories and perimeter."""

    lookup_field = "slug"
    # Slugs only: anything else (a NUL byte) must not reach the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    queryset = Project.objects.none()

    def get_queryset(self) -> QuerySet[Project]:
        return projects_visible_to(self.request.user).prefetch_related("categories")

    def get_serializer_class(self) -> type[s.ProjectSerializer]:
        return s.ProjectDetailSerializer if self.action == "retrieve" else s.ProjectSerializer


class SiteViewSet(GeoJSONViewSet):
    """Sites the city curates, as GeoJSON points."""

    @extend_schema(
        parameters=[s.SiteQuerySerializer],
        responses={(200, GEOJSON): s.SiteCollectionSerializer, 400: BAD_REQUEST},
    )
    def list(self, request: Request) -> HttpResponse:
        query = s.SiteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        sites = Site.objects.order_by("name", "pk")
        if "bbox" in params:
            sites = sites.filter(location__intersects=params["bbox"])
        if "kind" in params:
            sites = sites.filter(kind=params["kind"])
        return feature_collection_response(
            request, site_rows(sites), SITE_SPEC, limit=params["limit"], offset=params["offset"]
        )


class ProposalViewSet(GeoJSONViewSet):
    """Proposals on the map (citizens' pins and the city's options) as GeoJSON."""

    throttle_scope = "pins"  # writes only: infra.ratelimit.WriteThrottle

    @extend_schema(
        parameters=[s.FeaturePageQuerySerializer, *filterset_parameters(ProposalFilter)],
        responses={(200, GEOJSON): s.ProposalCollectionSerializer, 400: BAD_REQUEST},
    )
    def list(self, request: Request) -> HttpResponse:
        filters = valid_filters(ProposalFilter, request, page=s.FeaturePageQuerySerializer)
        page = filters.page
        rows = public_proposal_rows(request.user, filters=filters.filterset)
        if "bbox" in page:
            rows = proposals_in_bbox(rows, page["bbox"])
        return feature_collection_response(
            request, rows, LIST_SPEC, limit=page["limit"], offset=page["offset"]
        )

    @extend_schema(
        parameters=[FEATURE_ID],
        responses={(200, GEOJSON): s.ProposalDetailFeatureSerializer, 404: NOT_FOUND},
        description=_(
            "One proposal as a GeoJSON Feature, with its description, its moderation state "
            "and whether you voted for it. Also answers for proposals that lists leave out "
            "but whose page you may open: your own hidden ones, and merged ones."
        ),
    )
    def retrieve(self, request: Request, **kwargs: Any) -> HttpResponse:
        pk = _database_id(kwargs["id"])
        rows = public_proposal_rows(
            request.user,
            projects=Project.objects.filter(proposals__pk=pk),
            sight=Sight.REACHABLE,
        ).filter(pk=pk)
        texts = features(rows, DETAIL_SPEC)
        if not texts:
            raise Http404(_("There is no such proposal, or it is not public."))
        return HttpResponse(texts[0], content_type=GEOJSON)

    @extend_schema(
        request=s.ProposalCreateSerializer,
        responses={
            (201, GEOJSON): s.ProposalDetailFeatureSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            413: TOO_LARGE,
        },
        description=_(
            "Place a pin. The body is the object below, or a GeoJSON Feature with the point "
            "as its geometry and the other fields as its properties."
        ),
    )
    def create(self, request: Request) -> HttpResponse:
        data = s.ProposalCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        proposal = proposal_create(author=request.user, **data.validated_data)
        rows = with_feature_columns(Proposal.objects.filter(pk=proposal.pk), user=request.user)
        location = reverse("api-v1:proposals-detail", kwargs={"id": proposal.pk})
        return HttpResponse(
            features(rows, DETAIL_SPEC)[0],
            status=status.HTTP_201_CREATED,
            content_type=GEOJSON,
            headers={"Location": request.build_absolute_uri(location)},
        )

    @extend_schema(
        parameters=[FEATURE_ID],
        responses={200: s.PhotoSerializer(many=True), 404: NOT_FOUND},
        description=_("The photos of a proposal you may see."),
    )
    # Both methods share the route and so its parsers: the GET has no body to parse.
    @action(detail=True, methods=["get"], url_path="photos", parser_classes=[MultiPartParser])
    def photos(self, request: Request, **kwargs: Any) -> Response:
        proposal = _reachable_proposal(request, kwargs["id"])
        photos = photos_visible_to(request.user, proposal)
        return Response(s.PhotoSerializer(photos, many=True).data)

    @extend_schema(
        parameters=[FEATURE_ID],
        request={"multipart/form-data": s.PhotoCreateSerializer},
        responses={
            201: s.PhotoSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
            413: PHOTO_TOO_LARGE,
        },
        description=_(
            "Attach a photo to your own proposal (while you may still edit it; at most "
            "PHOTOS_PER_PROPOSAL). A picture that is not JPEG, PNG or WebP, too large, too "
            "small, with too many pixels or damaged is refused with 400."
        ),
    )
    @photos.mapping.post
    def add_photo(self, request: Request, **kwargs: Any) -> Response:
        proposal = _reachable_proposal(request, kwargs["id"])
        data = s.PhotoCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photo = photo_add(
            user=request.user,
            proposal=proposal,
            photo=NewPhoto(
                image=data.validated_data["image"], alt_text=data.validated_data["alt_text"]
            ),
        )
        return Response(s.PhotoSerializer(photo).data, status=status.HTTP_201_CREATED)


class CommentViewSet(RequestLanguage, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Comments on a proposal; those hidden by moderation are left out."""

    serializer_class = s.CommentSerializer
    queryset = Comment.objects.none()
    parser_classes = [CappedJSONParser]
    throttle_scope = "comments"

    @extend_schema(
        parameters=[s.CommentQuerySerializer],
        responses={200: s.CommentSerializer(many=True), 404: NOT_FOUND},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Comment]:
        query = s.CommentQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        proposal = query.validated_data["proposal"]
        reachable = proposals_visible_to(self.request.user, sight=Sight.REACHABLE)
        if not reachable.filter(pk=proposal).exists():
            raise Http404(_("There is no such proposal, or it is not public."))
        # The project for staff comments' office name; its polygon and texts are not needed.
        return (
            Comment.objects.filter(proposal=proposal, is_hidden=False)
            .select_related("author__profile", "proposal__project")
            .defer(
                "proposal__location",
                "proposal__description",
                "proposal__project__perimeter",
                "proposal__project__body",
            )
        )

    @extend_schema(
        request=s.CommentCreateSerializer,
        responses={201: s.CommentSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 413: TOO_LARGE},
    )
    def create(self, request: Request) -> Response:
        data = s.CommentCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        comment = comment_create(author=request.user, **data.validated_data)
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class VoteViewSet(RequestLanguage, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The requesting person's own votes: nobody sees whom others voted for."""

    serializer_class = s.VoteSerializer
    queryset = Vote.objects.none()
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [CappedJSONParser]
    lookup_field = "proposal"
    throttle_scope = "votes"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Vote]:
        user = self.request.user
        if not user.is_authenticated:  # refused by the permission already; this narrows the type
            return Vote.objects.none()
        return (
            Vote.objects.filter(user=user).select_related("project").order_by("-created_at", "-pk")
        )

    def get_throttles(self) -> list[Any]:
        # A vote counts against the rate limit inside its own transaction (see `create`).
        return [] if self.action == "create" else super().get_throttles()

    @extend_schema(
        request=s.VoteCreateSerializer,
        responses={201: s.VoteResultSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request: Request) -> Response:
        # The rate count is made in the vote's own transaction (vote_cast): one commit. Bad input
        # casts nothing and is counted alone (a flood of bad requests is a flood).
        count = counting(self.throttle_scope, client_key(request))
        data = s.VoteCreateSerializer(data=request.data)
        if not data.is_valid():
            if count is not None and (retry_after := count.alone()) is not None:
                raise RateLimited(wait=retry_after)
            raise APIValidationError(data.errors)
        try:
            vote = vote_cast(
                user=request.user, proposal=data.validated_data["proposal"], count=count
            )
        except Exceeded as exc:
            raise RateLimited(wait=exc.retry_after) from None
        total = None
        if rules.may_view_results(request.user, vote.project):
            total = proposal_vote_total(vote.proposal_id)
        # The answer is VoteResultSerializer's shape (the schema says so) built directly: three
        # plain values need no serializer run on the hottest write.
        result = {"proposal": vote.proposal_id, "vote_count": total, "has_voted": True}
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("proposal", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def destroy(self, request: Request, **kwargs: Any) -> Response:
        reachable = proposals_visible_to(request.user, sight=Sight.REACHABLE)
        proposal = get_object_or_404(
            reachable.select_related("project"), pk=_database_id(kwargs["proposal"])
        )
        vote_withdraw(user=request.user, proposal=proposal)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _reachable_proposal(request: Request, raw_id: str) -> Proposal:
    proposal = get_object_or_404(
        Proposal.objects.select_related("project"), pk=_database_id(raw_id)
    )
    if not rules.may_view_proposal(request.user, proposal):
        raise Http404(_("There is no such proposal, or it is not public."))
    return proposal


def _database_id(raw: str) -> int:
    """An id from the path; beyond a bigint it names nothing (and SQL must not see it)."""
    pk = int(raw)
    if pk > MAX_ID:
        raise Http404(_("There is no such proposal, or it is not public."))
    return pk
