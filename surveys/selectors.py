"""Reads of surveys that pages, the API and exports share: results aggregated in SQL.

Privacy of map answers is decided here, once: the public gets drawn features only as counts
per grid cell (EPSG:25832, the survey's cell size) that at least `min_cell_count` responses
touch, and district counts under the same minimum; planners get every cell and, through
`map_features`, every drawn feature, except home locations, which nobody gets as points.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import Func, QuerySet

from accounts.types import Person
from geo.crs import METRIC_SRID
from surveys.models import Choice, MapFeature, PublicCell, Question, Response, Survey


@dataclass(frozen=True)
class ResultFilter:
    """Only the responses that answered `question` with `choice` (e.g. a district, an age band)."""

    question: Question
    choice: Choice


@dataclass
class Counts:
    online: int = 0
    paper: int = 0

    @property
    def total(self) -> int:
        return self.online + self.paper


@dataclass
class ChoiceResult:
    choice: Choice
    counts: Counts
    share: float | None  # of the responses that answered the question
    score: int | None = None  # ranking: points (first place = number of choices)
    mean_rank: float | None = None


@dataclass
class QuestionResult:
    question: Question
    answered: Counts
    choices: list[ChoiceResult] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    distribution: list[tuple[int, int]] = field(default_factory=list)  # scale: (value, count)
    texts: list[str] | None = None  # planners only
    features: int = 0
    cells: list[dict[str, Any]] = field(default_factory=list)
    districts: list[dict[str, Any]] = field(default_factory=list)
    suppressed_cells: int = 0  # public: cells left out under the minimum


@dataclass
class SurveyResults:
    survey: Survey
    responses: Counts
    questions: list[QuestionResult]
    full: bool  # planners' view (every cell, texts); else the public, aggregated one
    filter: ResultFilter | None = None


def _responses_cte(survey: Survey, result_filter: ResultFilter | None) -> tuple[str, list[Any]]:
    sql = "SELECT id, source FROM surveys_response WHERE survey_id = %s AND is_current"
    params: list[Any] = [survey.pk]
    if result_filter is not None:
        sql += (
            " AND id IN (SELECT response_id FROM surveys_answer"
            " WHERE question_id = %s AND %s = ANY(choice_ids))"
        )
        params += [result_filter.question.pk, result_filter.choice.pk]
    return f"WITH r AS ({sql})", params


def survey_results(
    survey: Survey, *, full: bool, result_filter: ResultFilter | None = None
) -> SurveyResults:
    """Every question's aggregates in a fixed number of queries, whatever the survey's size."""
    questions = list(survey.questions.prefetch_related("choices").order_by("position", "pk"))
    cte, params = _responses_cte(survey, result_filter)
    results = {q.pk: QuestionResult(q, Counts()) for q in questions}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{cte}
            SELECT count(*) FILTER (WHERE source = 'online'),
                   count(*) FILTER (WHERE source = 'paper') FROM r
            """,  # noqa: S608 -- only our CTE text is interpolated
            params,
        )
        online, paper = cursor.fetchone()
        responses = Counts(online, paper)
        # Who answered each question (the denominator of shares).
        cursor.execute(
            f"""{cte}
            SELECT question_id, count(*) FILTER (WHERE r.source = 'online'),
                   count(*) FILTER (WHERE r.source = 'paper'), 0
            FROM surveys_answer a JOIN r ON r.id = a.response_id GROUP BY question_id
            UNION ALL
            SELECT question_id, count(*) FILTER (WHERE source = 'online'),
                   count(*) FILTER (WHERE source = 'paper'), sum(n)::int
            FROM (
                -- one row per response (hashed, not a sort per DISTINCT), with its features
                SELECT f.question_id, r.source, count(*) AS n
                FROM surveys_mapfeature f JOIN r ON r.id = f.response_id
                GROUP BY f.question_id, f.response_id, r.source
            ) per_response GROUP BY question_id
            """,  # noqa: S608 -- only our CTE text is interpolated
            params,
        )
        for qid, on, pa, drawn in cursor.fetchall():
            if qid in results:
                results[qid].answered = Counts(on, pa)
                results[qid].features = drawn
        _choices(cursor, cte, params, results)
        _numbers(cursor, cte, params, results)
        if full:
            _texts(cursor, cte, params, results)
        _map(cursor, cte, params, survey, results, full=full)
    return SurveyResults(survey, responses, list(results.values()), full, result_filter)


def _choices(cursor: Any, cte: str, params: list[Any], results: dict[int, QuestionResult]) -> None:
    cursor.execute(
        f"""{cte}
        SELECT a.question_id, c.choice_id,
               count(*) FILTER (WHERE r.source = 'online'),
               count(*) FILTER (WHERE r.source = 'paper'),
               sum(c.rank)
        FROM surveys_answer a JOIN r ON r.id = a.response_id
        CROSS JOIN LATERAL unnest(a.choice_ids) WITH ORDINALITY AS c(choice_id, rank)
        GROUP BY a.question_id, c.choice_id
        """,  # noqa: S608
        params,
    )
    found: dict[tuple[int, int], tuple[int, int, int]] = {
        (qid, cid): (on, pa, rank_sum) for qid, cid, on, pa, rank_sum in cursor.fetchall()
    }
    for result in results.values():
        q = result.question
        if not q.has_choices:
            continue
        options = list(q.choices.all())
        answered = result.answered.total
        for choice in options:
            on, pa, rank_sum = found.get((q.pk, choice.pk), (0, 0, 0))
            counts = Counts(on, pa)
            item = ChoiceResult(choice, counts, counts.total / answered if answered else None)
            if q.kind == Question.Kind.RANKING:
                # Borda points: rank 1 earns as many points as there are choices, the last 1.
                item.score = counts.total * (len(options) + 1) - int(rank_sum)
                item.mean_rank = rank_sum / counts.total if counts.total else None
            result.choices.append(item)
        if q.kind == Question.Kind.RANKING:
            result.choices.sort(key=lambda c: -(c.score or 0))


def _numbers(cursor: Any, cte: str, params: list[Any], results: dict[int, QuestionResult]) -> None:
    cursor.execute(
        f"""{cte}
        SELECT a.question_id, avg(a.number),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY a.number)
        FROM surveys_answer a JOIN r ON r.id = a.response_id
        WHERE a.number IS NOT NULL GROUP BY a.question_id
        """,  # noqa: S608
        params,
    )
    for qid, mean, median in cursor.fetchall():
        if qid in results:
            results[qid].mean, results[qid].median = mean, median
    scales = [q.pk for q in (r.question for r in results.values()) if q.kind == "scale"]
    if not scales:
        return
    cursor.execute(
        f"""{cte}
        SELECT a.question_id, a.number::int, count(*)
        FROM surveys_answer a JOIN r ON r.id = a.response_id
        WHERE a.question_id = ANY(%s) GROUP BY 1, 2
        """,  # noqa: S608
        [*params, scales],
    )
    counts: dict[tuple[int, int], int] = {(q, v): n for q, v, n in cursor.fetchall()}
    for qid in scales:
        q = results[qid].question
        low, high = q.scale_min or 0, q.scale_max or 5
        results[qid].distribution = [(v, counts.get((qid, v), 0)) for v in range(low, high + 1)]


TEXTS_PER_QUESTION = 500


def _texts(cursor: Any, cte: str, params: list[Any], results: dict[int, QuestionResult]) -> None:
    cursor.execute(
        f"""{cte}
        SELECT question_id, text FROM (
            SELECT a.question_id, a.text,
                   row_number() OVER (PARTITION BY a.question_id ORDER BY a.id) AS n
            FROM surveys_answer a JOIN r ON r.id = a.response_id WHERE a.text <> ''
        ) t WHERE n <= %s ORDER BY question_id, n
        """,  # noqa: S608
        [*params, TEXTS_PER_QUESTION],
    )
    for result in results.values():
        if result.question.kind in Question.TEXT_KINDS:
            result.texts = []
    for qid, text in cursor.fetchall():
        if qid in results and results[qid].texts is not None:
            results[qid].texts.append(text)  # type: ignore[union-attr]


# Points fall into one cell (floor of the metric coordinates); lines and areas count in every
# cell they pass (route overlap), from ST_SquareGrid, whose cells share the same origin.
_CELLS_SQL = """{cte},
f AS (
    SELECT f.question_id, f.response_id, f.point IS NOT NULL AS is_point,
           ST_Transform(COALESCE(f.point, f.line, f.area), {metric}) AS g
    FROM surveys_mapfeature f JOIN r ON r.id = f.response_id
),
hits AS (
    SELECT question_id, response_id,
           floor(ST_X(g) / %(size)s)::int AS i, floor(ST_Y(g) / %(size)s)::int AS j
    FROM f WHERE is_point
    UNION ALL
    SELECT f.question_id, f.response_id, c.i, c.j
    FROM f CROSS JOIN LATERAL ST_SquareGrid(%(size)s, f.g) AS c
    WHERE NOT f.is_point AND ST_Intersects(c.geom, f.g)
)
SELECT question_id, i, j, count(*) AS n,
       ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(
           i * %(size)s, j * %(size)s, (i + 1) * %(size)s, (j + 1) * %(size)s, {metric}
       ), 4326), 6)
FROM (SELECT DISTINCT question_id, i, j, response_id FROM hits) AS once_per_response
GROUP BY question_id, i, j ORDER BY question_id, n DESC, i, j
"""

_DISTRICTS_SQL = """{cte}
SELECT question_id, d.id, d.name, count(*)
FROM (
    SELECT DISTINCT f.question_id, d.id AS district_id, f.response_id
    FROM surveys_mapfeature f JOIN r ON r.id = f.response_id
    JOIN geo_area d ON d.kind = 'district'
     AND ST_Intersects(d.geometry, COALESCE(f.point, f.line, f.area))
) AS once_per_response JOIN geo_area d ON d.id = district_id
GROUP BY question_id, d.id, d.name ORDER BY question_id, d.name
"""


def _map(
    cursor: Any,
    cte: str,
    params: list[Any],
    survey: Survey,
    results: dict[int, QuestionResult],
    *,
    full: bool,
) -> None:
    if not any(r.question.is_map for r in results.values()):
        return
    minimum = survey.min_cell_count
    named = {f"p{i}": v for i, v in enumerate(params)}
    named_cte = cte
    for i in range(len(params)):
        named_cte = named_cte.replace("%s", f"%(p{i})s", 1)
    cursor.execute(
        _CELLS_SQL.format(cte=named_cte, metric=METRIC_SRID),
        {**named, "size": survey.grid_size_m},
    )
    for qid, i, j, n, geometry in cursor.fetchall():
        result = results.get(qid)
        if result is None:
            continue
        if not full and n < minimum:
            result.suppressed_cells += 1
            continue
        shape = json.loads(geometry)
        ring = shape["coordinates"][0]
        centre = [
            round(sum(x for x, _y in ring[:4]) / 4, 6),
            round(sum(y for _x, y in ring[:4]) / 4, 6),
        ]
        result.cells.append({"i": i, "j": j, "count": n, "geometry": shape, "centre": centre})
    cursor.execute(_DISTRICTS_SQL.format(cte=cte), params)
    for qid, district_id, name, n in cursor.fetchall():
        if qid in results:
            shown = full or n >= minimum
            results[qid].districts.append(
                {"id": district_id, "name": name, "count": n if shown else None}
            )


class _Coalesce(Func):
    function = "COALESCE"
    output_field = GeometryField(srid=4326)


def map_features(survey: Survey, *, question: Question | None = None) -> QuerySet[MapFeature]:
    """Every drawn feature for planners and GIS staff (no respondent identity): the counted
    responses only, home locations left out (they exist only as cell counts)."""
    features = MapFeature.objects.filter(
        response__survey=survey, response__is_current=True, question__is_home_location=False
    )
    if question is not None:
        features = features.filter(question=question)
    return features.annotate(geom=_Coalesce("point", "line", "area")).order_by("pk")


def public_cells() -> QuerySet[PublicCell]:
    """The grid cells anyone may see, for GIS clients (OGC API - Features): of published
    surveys whose results are public now, each cell at or above its survey's minimum, and
    nothing else (no drawings, no respondents; home locations, too, only as cells)."""
    from django.contrib.auth.models import AnonymousUser

    from surveys.rules import may_view_survey_results

    anyone = AnonymousUser()
    public = [
        survey.pk
        for survey in Survey.objects.filter(
            is_published=True, project__is_published=True
        ).select_related("project")
        if may_view_survey_results(anyone, survey)
    ]
    return PublicCell.objects.filter(survey_id__in=public)


def response_of(survey: Survey, *, user: Person, browser_key: str | None) -> Response | None:
    """The person's (or browser's) own response, for editing and the copy of their answers."""
    if user.is_authenticated:
        return Response.objects.filter(survey=survey, user=user).first()
    if browser_key:
        return Response.objects.filter(survey=survey, browser_key=browser_key).first()
    return None


def surveys_visible_to(user: Person) -> QuerySet[Survey]:
    from proposals.rules import is_planner

    surveys = Survey.objects.select_related("project")
    if is_planner(user):
        return surveys
    return surveys.filter(is_published=True, project__is_published=True)
