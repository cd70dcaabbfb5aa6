"""Results and paper tallies of a project: the ranking, its downloads, and planners' tallies."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from api.pagination import GEOJSON
from api.parsers import CappedJSONParser
from api.v1.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND, RequestLanguage
from geo.geojson import collection_chunks
from proposals import rules
from proposals.models import PaperTally, Project
from proposals.selectors import (
    ResultRow,
    iter_project_results,
    iter_result_features,
    project_results,
    projects_visible_to,
)
from proposals.services import tally_record

# A page of the ranking, as the API's other lists: limit and offset.
DEFAULT_LIMIT = 100
MAX_LIMIT = 5000
MAX_OFFSET = 10**9


def _project(request: Request, slug: str) -> Project:
    return get_object_or_404(projects_visible_to(request.user), slug=slug)


class ResultsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)


class DownloadQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, required=False, help_text="Only the first options."
    )


class OptionResultSerializer(serializers.Serializer):
    proposal = serializers.IntegerField(source="proposal_id")
    title = serializers.CharField()
    online = serializers.IntegerField()
    paper = serializers.IntegerField()
    total = serializers.IntegerField()
    share = serializers.FloatField(help_text="Share of all votes, 0..1.")
    rank = serializers.IntegerField(help_text="Equal totals share a rank.")
    tied = serializers.BooleanField(help_text="Another option has the same total.")


class ResultsSerializer(serializers.Serializer):
    project = serializers.CharField()
    voting_mode = serializers.CharField()
    online = serializers.IntegerField(help_text="Over all options, not only this page.")
    paper = serializers.IntegerField()
    total = serializers.IntegerField()
    count = serializers.IntegerField(help_text="How many options the whole ranking has.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    options = OptionResultSerializer(many=True, help_text="This page of the ranking.")


class ResultsView(RequestLanguage, APIView):
    """The ranking, a page at a time: online, paper and total votes per option, with the sums
    over all options. Never who voted for what."""

    @extend_schema(
        parameters=[ResultsQuerySerializer],
        responses={200: ResultsSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, slug: str) -> Response:
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        project = _project(request, slug)
        rules.may_view_results.enforce(request.user, project)
        results = project_results(project, limit=limit, offset=offset)
        url = request.build_absolute_uri()
        data = {
            "project": project.slug,
            "voting_mode": project.voting_mode,
            "online": results.online,
            "paper": results.paper,
            "total": results.total,
            "count": results.options,
            "next": _page_url(url, limit, offset + limit)
            if offset + limit < results.options
            else None,
            "previous": _page_url(url, limit, max(offset - limit, 0)) if offset > 0 else None,
            "options": results.rows,
        }
        return Response(ResultsSerializer(data).data)


def _page_url(url: str, limit: int, offset: int) -> str:
    return replace_query_param(replace_query_param(url, "limit", limit), "offset", offset)


class ResultsDownloadView(RequestLanguage, APIView):
    """The whole ranking as CSV (a table for the office) or GeoJSON (counts on the map, for GIS),
    streamed from the database."""

    @extend_schema(
        parameters=[DownloadQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="One row per option."
            ),
            (200, GEOJSON): OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="One point feature per option."
            ),
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, slug: str, fmt: str) -> StreamingHttpResponse:
        query = DownloadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        project = _project(request, slug)
        rules.may_export_results.enforce(request.user, project)
        filename = f"results-{project.slug}.{fmt}"
        if fmt == "geojson":
            texts = iter_result_features(project, limit=query.validated_data.get("limit"))
            response = StreamingHttpResponse(collection_chunks(texts), content_type=GEOJSON)
        else:
            rows = iter_project_results(project)
            if "limit" in query.validated_data:
                rows = islice(rows, query.validated_data["limit"])
            response = StreamingHttpResponse(
                _csv_lines(rows), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _csv_lines(rows: Iterable[ResultRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rank", "proposal", "title", "online", "paper", "total", "share"])
    for count, r in enumerate(rows, start=1):
        writer.writerow(
            [r.rank, r.proposal_id, r.title, r.online, r.paper, r.total, f"{r.share:.4f}"]
        )
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class TallyCountSerializer(serializers.Serializer):
    proposal = serializers.IntegerField(min_value=1)
    votes = serializers.IntegerField(min_value=0, max_value=10**7)


class TallyInputSerializer(serializers.Serializer):
    event_name = serializers.CharField(max_length=200)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_date = serializers.DateField()
    ballots = serializers.IntegerField(min_value=0, max_value=10**7)
    counted_by = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    counts = TallyCountSerializer(many=True, allow_empty=False)
    supersedes = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    correction_reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    separate_count = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "Confirms a second count of an event, place and date already recorded (e.g. a "
            "second ballot box); without it such a record is refused as a duplicate."
        ),
    )

    def validate_counts(self, value: list[dict[str, int]]) -> dict[int, int]:
        ids = [c["proposal"] for c in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("Each option may appear only once."))
        return {c["proposal"]: c["votes"] for c in value}


class TallySerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.get_username")
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = PaperTally
        fields = [
            "id",
            "event_name",
            "place",
            "event_date",
            "ballots",
            "counted_by",
            "note",
            "supersedes",
            "correction_reason",
            "recorded_by",
            "recorded_at",
            "is_current",
            "counts",
        ]

    def get_counts(self, tally: PaperTally) -> list[dict[str, int]]:
        return [{"proposal": c.proposal_id, "votes": c.votes} for c in tally.counts.all()]

    def get_is_current(self, tally: PaperTally) -> bool:
        return not hasattr(tally, "superseded_by")


class TalliesView(RequestLanguage, APIView):
    """Paper ballots per event, for planners: the full history, corrections included."""

    parser_classes = [CappedJSONParser]

    @extend_schema(responses={200: TallySerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        rules.may_moderate.enforce(request.user, project)
        tallies = (
            PaperTally.objects.filter(project=project)
            .select_related("recorded_by", "superseded_by")
            .prefetch_related("counts")
            .order_by("event_date", "recorded_at", "pk")
        )
        return Response(TallySerializer(tallies, many=True).data)

    @extend_schema(
        request=TallyInputSerializer,
        responses={201: TallySerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        rules.may_record_tally.enforce(request.user, project)
        data = TallyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        supersedes_id = values.pop("supersedes", None)
        if supersedes_id is not None:
            # Any earlier version may be named; the service refuses one already corrected.
            values["supersedes"] = get_object_or_404(
                PaperTally.objects.filter(project=project), pk=supersedes_id
            )
        tally = tally_record(actor=request.user, project=project, **values)
        tally = PaperTally.objects.prefetch_related("counts").get(pk=tally.pk)
        return Response(TallySerializer(tally).data, status=status.HTTP_201_CREATED)
