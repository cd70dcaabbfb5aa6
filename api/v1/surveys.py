"""Surveys in API v1: surveys and their questions, one's own answers (submit, change, take
back), results (aggregated for the public, complete for planners) and drawn features."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import GEOJSON
from api.parsers import CappedJSONParser
from api.v1.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND, RequestLanguage
from geo.geojson import FeatureSpec, collection_chunks, iter_features
from surveys import exports, rules
from surveys.models import Choice, Question, Survey
from surveys.selectors import (
    ResultFilter,
    SurveyResults,
    map_features,
    response_of,
    survey_results,
    surveys_visible_to,
)
from surveys.services import (
    QUESTION_FIELDS,
    browser_key,
    paper_response_record,
    response_answers,
    response_submit,
    response_withdraw,
)

# Anyone-surveys without sign-in: the browser's random token, in this header (API clients) or
# the cookie the survey page sets. Only its hash is stored.
TOKEN_HEADER = "X-Survey-Token"  # noqa: S105 -- a header name
TOKEN_COOKIE = "mmk_survey"  # noqa: S105 -- a cookie name


def browser_token(request: Any) -> str | None:
    return request.headers.get(TOKEN_HEADER) or request.COOKIES.get(TOKEN_COOKIE)


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["id", "label"]


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)
    answer_key = serializers.SerializerMethodField(
        help_text="The key of this question in `answers` when submitting."
    )

    class Meta:
        model = Question
        # What a planner sets on a question (surveys/services.py), with its key and place.
        fields = ["id", "answer_key", "position", *QUESTION_FIELDS, "choices"]

    def get_answer_key(self, question: Question) -> str:
        return f"q{question.pk}"


class SurveySerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    state = serializers.CharField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Survey
        fields = [
            "slug",
            "title",
            "project",
            "intro",
            "opens_at",
            "closes_at",
            "audience",
            "state",
            "results_visibility",
            "grid_size_m",
            "min_cell_count",
            "is_demo",
            "url",
        ]


class SurveyDetailSerializer(SurveySerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "questions"]


class AnswersInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text=(
            "By `answer_key` (q<id>): single: a choice id; multiple and ranking: a list of "
            "choice ids (ranking: best first); texts: a string; number and scale: a number; "
            "map questions: a list of {geometry: GeoJSON Point/LineString/Polygon in "
            "EPSG:4326, comment: text}."
        ),
    )


class OwnResponseSerializer(serializers.Serializer):
    survey = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    answers = serializers.DictField(child=serializers.JSONField())


class SurveyResultsSerializer(serializers.Serializer):
    survey = serializers.CharField()
    full = serializers.BooleanField(help_text="True for planners: every cell and text answer.")
    responses = serializers.DictField(child=serializers.IntegerField())
    filter = serializers.DictField(allow_null=True)
    questions = serializers.ListField(child=serializers.DictField())


def _survey(request: Request, slug: str) -> Survey:
    return get_object_or_404(surveys_visible_to(request.user), slug=slug)


def _counts(c: Any) -> dict[str, int]:
    return {"online": c.online, "paper": c.paper, "total": c.total}


def results_document(results: SurveyResults) -> dict[str, Any]:
    """The results as JSON-ready data (the API's body; the page renders the same selector)."""
    questions = []
    for r in results.questions:
        q = r.question
        item: dict[str, Any] = {
            "question": q.pk,
            "kind": q.kind,
            "text": q.text,
            "answered": _counts(r.answered),
        }
        if q.has_choices:
            item["choices"] = [
                {
                    "choice": c.choice.pk,
                    "label": c.choice.label,
                    **_counts(c.counts),
                    "share": c.share,
                    **(
                        {"score": c.score, "mean_rank": c.mean_rank}
                        if q.kind == Question.Kind.RANKING
                        else {}
                    ),
                }
                for c in r.choices
            ]
        if q.kind in (Question.Kind.NUMBER, Question.Kind.SCALE):
            item["mean"], item["median"] = r.mean, r.median
        if q.kind == Question.Kind.SCALE:
            item["distribution"] = [{"value": v, "count": n} for v, n in r.distribution]
        if q.kind in Question.TEXT_KINDS and r.texts is not None:
            item["texts"] = r.texts
        if q.is_map:
            item["features"] = r.features
            item["cells"] = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": c["geometry"],
                        "properties": {"i": c["i"], "j": c["j"], "count": c["count"]},
                    }
                    for c in r.cells
                ],
            }
            item["suppressed_cells"] = r.suppressed_cells
            item["districts"] = r.districts
        questions.append(item)
    return {
        "survey": results.survey.slug,
        "full": results.full,
        "responses": _counts(results.responses),
        "filter": (
            {"question": results.filter.question.pk, "choice": results.filter.choice.pk}
            if results.filter
            else None
        ),
        "grid_size_m": results.survey.grid_size_m,
        "min_cell_count": results.survey.min_cell_count,
        "questions": questions,
    }


def result_filter(survey: Survey, params: Any) -> ResultFilter | None:
    """`?filter_choice=<id>`: only responses that chose it; a bad id is a 400, not a 500."""
    raw = params.get("filter_choice")
    if not raw:
        return None
    choice = (
        Choice.objects.filter(
            pk=int(raw) if str(raw).isdigit() and len(str(raw)) < 10 else 0,
            question__survey=survey,
            question__kind__in=(Question.Kind.SINGLE, Question.Kind.MULTIPLE),
        )
        .select_related("question")
        .first()
    )
    if choice is None:
        raise serializers.ValidationError(
            {"filter_choice": [_("Choose an answer of a single or multiple choice question.")]}
        )
    return ResultFilter(choice.question, choice)


class SurveyListView(RequestLanguage, APIView):
    """The surveys you may see."""

    @extend_schema(responses={200: SurveySerializer(many=True)})
    def get(self, request: Request) -> Response:
        surveys = surveys_visible_to(request.user).order_by("-opens_at", "pk")
        return Response(SurveySerializer(surveys, many=True).data)


class SurveyDetailView(RequestLanguage, APIView):
    """A survey with its questions, in order, and their choices."""

    @extend_schema(responses={200: SurveyDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, slug: str) -> Response:
        survey = get_object_or_404(
            surveys_visible_to(request.user).prefetch_related("questions__choices"), slug=slug
        )
        return Response(SurveyDetailSerializer(survey).data)


class OwnResponseView(RequestLanguage, APIView):
    """Your own answers: read them, submit or change them (PUT) while the survey is open, take
    them back (DELETE). Without sign-in (anyone-surveys), send the browser's token as the
    `X-Survey-Token` header (at least 16 characters, kept secret)."""

    parser_classes = [CappedJSONParser]
    # The survey's rules decide who answers (anyone-surveys take anonymous answers).
    permission_classes = [permissions.AllowAny]
    throttle_scope = "surveys"

    @extend_schema(responses={200: OwnResponseSerializer, 404: NOT_FOUND})
    def get(self, request: Request, slug: str) -> Response:
        survey = _survey(request, slug)
        token = browser_token(request)
        response = response_of(
            survey, user=request.user, browser_key=browser_key(token) if token else None
        )
        if response is None:
            raise Http404(_("You have not answered this survey."))
        return Response(OwnResponseSerializer(_own(response)).data)

    @extend_schema(
        request=AnswersInputSerializer,
        responses={200: OwnResponseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def put(self, request: Request, slug: str) -> Response:
        survey = _survey(request, slug)
        data = AnswersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = response_submit(
            survey=survey,
            user=request.user,
            answers=data.validated_data["answers"],
            browser_token=browser_token(request),
        )
        return Response(OwnResponseSerializer(_own(response)).data, status=status.HTTP_200_OK)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request: Request, slug: str) -> Response:
        survey = _survey(request, slug)
        if not request.user.is_authenticated:
            raise serializers.ValidationError(
                {"survey": [_("Only signed-in answers can be taken back.")]}
            )
        response_withdraw(survey=survey, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _own(response: Any) -> dict[str, Any]:
    return {
        "survey": response.survey.slug,
        "created_at": response.created_at,
        "updated_at": response.updated_at,
        "answers": response_answers(response),
    }


class SurveyResultsView(RequestLanguage, APIView):
    """Results per question. The public gets map answers only as grid cells (EPSG:25832) that
    at least `min_cell_count` responses touch, and districts under the same minimum without a
    number; planners get every cell and the text answers."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "filter_choice",
                OpenApiTypes.INT,
                description="Only responses that chose this answer (of another question).",
            )
        ],
        responses={200: SurveyResultsSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, slug: str) -> Response:
        survey = _survey(request, slug)
        rules.may_view_survey_results.enforce(request.user, survey)
        results = survey_results(
            survey,
            full=rules.sees_every_feature(request.user),
            result_filter=result_filter(survey, request.query_params),
        )
        return Response(results_document(results))


class SurveyCellsView(RequestLanguage, APIView):
    """The map answers as grid cells (EPSG:25832 squares, given in EPSG:4326), for GIS and
    maps: the same cells as the results, so for the public only those that at least
    `min_cell_count` responses touch."""

    @extend_schema(
        responses={
            (200, GEOJSON): OpenApiResponse(response=OpenApiTypes.OBJECT),
            403: FORBIDDEN,
            404: NOT_FOUND,
        }
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        survey = _survey(request, slug)
        rules.may_view_survey_results.enforce(request.user, survey)
        results = survey_results(survey, full=rules.sees_every_feature(request.user))
        features = [
            {
                "type": "Feature",
                "geometry": cell["geometry"],
                "properties": {
                    "question": r.question.pk,
                    "i": cell["i"],
                    "j": cell["j"],
                    "count": cell["count"],
                },
            }
            for r in results.questions
            for cell in r.cells
        ]
        document = {"type": "FeatureCollection", "features": features}
        response = HttpResponse(json.dumps(document), content_type=GEOJSON)
        response["Content-Disposition"] = (
            f'attachment; filename="survey-{survey.slug}-cells.geojson"'
        )
        return response


FEATURE_SPEC = FeatureSpec(
    geometry="geom",
    properties={"question": "question_id", "response": "response_id", "comment": "comment"},
)


class SurveyFeaturesView(RequestLanguage, APIView):
    """Every drawn feature, for planners (home locations excepted): the response number only
    groups one person's features, it names nobody."""

    @extend_schema(
        responses={
            (200, GEOJSON): OpenApiResponse(response=OpenApiTypes.OBJECT),
            403: FORBIDDEN,
            404: NOT_FOUND,
        }
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        survey = _survey(request, slug)
        if not rules.sees_every_feature(request.user):
            raise PermissionDenied(_("Only the city's planners see every drawn feature."))
        texts = iter_features(map_features(survey), FEATURE_SPEC)
        return HttpResponse("".join(collection_chunks(texts)), content_type=GEOJSON)


class PaperInputSerializer(serializers.Serializer):
    event_name = serializers.CharField(max_length=200)
    event_date = serializers.DateField()
    answers = serializers.DictField(child=serializers.JSONField())
    supersedes = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    correction_reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class PaperResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_name = serializers.CharField()
    event_date = serializers.DateField()
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)
    correction_reason = serializers.CharField()
    is_current = serializers.BooleanField()
    recorded_by = serializers.CharField(source="recorded_by.get_username")
    created_at = serializers.DateTimeField()
    answers = serializers.SerializerMethodField()

    def get_answers(self, response: Any) -> dict[str, Any]:
        return response_answers(response)


class PaperResponsesView(RequestLanguage, APIView):
    """Paper questionnaires (planners): each entered with its event, counted apart from and
    together with online answers; a correction supersedes an entry and is audited."""

    parser_classes = [CappedJSONParser]

    @extend_schema(responses={200: PaperResponseSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request, slug: str) -> Response:
        survey = _survey(request, slug)
        rules.may_record_paper_response.enforce(request.user, survey)
        entries = (
            survey.responses.filter(source="paper")
            .select_related("recorded_by")
            .order_by("event_date", "pk")
        )
        return Response(PaperResponseSerializer(entries, many=True).data)

    @extend_schema(
        request=PaperInputSerializer,
        responses={201: PaperResponseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def post(self, request: Request, slug: str) -> Response:
        survey = _survey(request, slug)
        rules.may_record_paper_response.enforce(request.user, survey)
        data = PaperInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        supersedes_id = values.pop("supersedes", None)
        if supersedes_id is not None:
            values["supersedes"] = get_object_or_404(
                survey.responses.filter(source="paper"), pk=supersedes_id
            )
        entry = paper_response_record(actor=request.user, survey=survey, **values)
        return Response(PaperResponseSerializer(entry).data, status=status.HTTP_201_CREATED)


class SurveyExportView(RequestLanguage, APIView):
    """Downloads for GIS staff: answers as CSV (a row per response, a column per question, map
    answers as WKT), drawn features as GeoJSON or GeoPackage (layers points, lines, areas);
    `?srid=25832` for metric coordinates. Never the respondent's identity."""

    @extend_schema(
        parameters=[OpenApiParameter("srid", OpenApiTypes.INT, enum=[4326, 25832])],
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR),
            (200, GEOJSON): OpenApiResponse(response=OpenApiTypes.OBJECT),
            (200, "application/geopackage+sqlite3"): OpenApiResponse(response=OpenApiTypes.BINARY),
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, slug: str, fmt: str) -> HttpResponseBase:
        survey = _survey(request, slug)
        rules.may_export_survey.enforce(request.user)
        raw = request.query_params.get("srid", "4326")
        srid = int(raw) if raw in ("4326", "25832") else 0
        if srid not in exports.SRIDS:
            raise serializers.ValidationError(
                {"srid": [_("Choose EPSG:4326 or EPSG:25832 (srid=4326 or srid=25832).")]}
            )
        name = f"survey-{survey.slug}-epsg{srid}"
        response: HttpResponseBase
        if fmt == "csv":
            response = StreamingHttpResponse(
                exports.answers_csv(survey, srid=srid), content_type="text/csv; charset=utf-8"
            )
        elif fmt == "geojson":
            response = StreamingHttpResponse(
                exports.features_geojson(survey, srid=srid), content_type=GEOJSON
            )
        elif fmt == "gpkg":
            response = FileResponse(
                exports.open_gpkg(survey, srid=srid),
                content_type="application/geopackage+sqlite3",
            )
        else:
            response = FileResponse(
                exports.open_shapefiles(survey, srid=srid), content_type="application/zip"
            )
            fmt = "shp.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


urlpatterns = [
    path("surveys/", SurveyListView.as_view(), name="surveys"),
    path("surveys/<slug:slug>/", SurveyDetailView.as_view(), name="survey-detail"),
    path("surveys/<slug:slug>/response/", OwnResponseView.as_view(), name="survey-response"),
    path("surveys/<slug:slug>/results/", SurveyResultsView.as_view(), name="survey-results"),
    path("surveys/<slug:slug>/features/", SurveyFeaturesView.as_view(), name="survey-features"),
    path("surveys/<slug:slug>/paper/", PaperResponsesView.as_view(), name="survey-paper"),
    path("surveys/<slug:slug>/cells.geojson", SurveyCellsView.as_view(), name="survey-cells"),
    re_path(
        r"^surveys/(?P<slug>[-\w]+)/export\.(?P<fmt>csv|geojson|gpkg|shp)$",
        SurveyExportView.as_view(),
        name="survey-export",
    ),
]
