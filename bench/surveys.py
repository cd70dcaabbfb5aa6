"""Survey results on a survey of 100k responses with 100k drawn features vs the same
aggregates as raw SQL.

The survey has a single choice, a scale, a ranking and a map question (90% points, 10% short
routes) in the Kaiserslautern centre, and four districts. Measured: `survey_results` (the
public, privacy-filtered results the page and the API serve: counts and shares, mean/median,
ranking scores, grid cells with the minimum count, district counts), in-process. Baseline: the
very SQL statements it runs, captured from Django and executed with psycopg on its own
connection with the app's session options, every row fetched. Both alternate (A B A B …) after
the same warm-up; the report is the median of the per-turn ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

import psycopg

from bench.common import bench_database_url, setup_django
from bench.data import CENTRE, interleaved_times, median_ratio, ms, raw_conninfo

DATABASE = "mitmachkarte_bench_surveys"
TARGET = 1.5


def _fill(responses: int) -> int:
    """The survey and its answers, written in bulk by SQL (the services are not measured)."""
    from django.contrib.auth.models import User
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection
    from django.utils import timezone

    from geo.models import Area
    from proposals.models import Project
    from surveys.models import Choice, Question, Survey

    now = timezone.now()
    lon, lat = CENTRE
    extent = (lon - 0.05, lat - 0.03, lon + 0.05, lat + 0.03)
    project = Project.objects.create(
        title="Bench", slug="bench-surveys", summary="Benchmark", is_published=True,
        perimeter=MultiPolygon(Polygon.from_bbox(extent), srid=4326),
    )  # fmt: skip
    for i, (dx, dy) in enumerate(((-1, -1), (0, -1), (-1, 0), (0, 0))):
        box = (lon + dx * 0.05, lat + dy * 0.03, lon + (dx + 1) * 0.05, lat + (dy + 1) * 0.03)
        Area.objects.create(
            name=f"Bezirk {i}", slug=f"bezirk-{i}", kind=Area.Kind.DISTRICT,
            geometry=MultiPolygon(Polygon.from_bbox(box), srid=4326),
        )  # fmt: skip
    survey = Survey.objects.create(
        project=project, title="Bench", slug="bench", is_published=True,
        opens_at=now, closes_at=now + timedelta(days=1), min_cell_count=5,
    )  # fmt: skip
    mode = Question.objects.create(survey=survey, position=1, kind="single", text="Wie?")
    scale = Question.objects.create(
        survey=survey, position=2, kind="scale", text="Zufrieden?", scale_min=1, scale_max=5
    )
    rank = Question.objects.create(survey=survey, position=3, kind="ranking", text="Wichtig?")
    where = Question.objects.create(survey=survey, position=4, kind="point", text="Wo?")
    route = Question.objects.create(survey=survey, position=5, kind="line", text="Weg?")
    modes = [Choice.objects.create(question=mode, position=i, label=f"m{i}").pk for i in range(5)]
    ranks = [Choice.objects.create(question=rank, position=i, label=f"r{i}").pk for i in range(4)]
    recorder = User.objects.create(username="bench-planner")
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO surveys_response (survey_id, source, browser_key, event_name,
                event_date, recorded_by_id, correction_reason, is_current, is_demo,
                created_at, updated_at)
            SELECT %(survey)s, CASE WHEN paper THEN 'paper' ELSE 'online' END,
                   CASE WHEN paper THEN NULL ELSE md5(g::text) END,
                   CASE WHEN paper THEN 'Stadtfest' ELSE '' END,
                   CASE WHEN paper THEN current_date END,
                   CASE WHEN paper THEN %(recorder)s END, '', true, false, now(), now()
            FROM generate_series(1, %(n)s) g, LATERAL (SELECT g %% 20 = 0 AS paper) AS p
            """,
            {"survey": survey.pk, "n": responses, "recorder": recorder.pk},
        )
        cursor.execute(
            """
            INSERT INTO surveys_answer (response_id, question_id, text, number, choice_ids)
            SELECT r.id, %(mode)s, '', NULL,
                   ARRAY[(%(modes)s::int[])[1 + floor(random() * 5)::int]]
            FROM surveys_response r WHERE r.survey_id = %(survey)s
            UNION ALL
            SELECT r.id, %(scale)s, '', 1 + floor(random() * 5), '{}'
            FROM surveys_response r WHERE r.survey_id = %(survey)s
            UNION ALL
            SELECT r.id, %(rank)s, '', NULL,
                   (SELECT array_agg(c ORDER BY random() + r.id * 0)
                    FROM unnest(%(ranks)s::int[]) c)
            FROM surveys_response r WHERE r.survey_id = %(survey)s
            """,
            {"mode": mode.pk, "modes": modes, "scale": scale.pk, "rank": rank.pk,
             "ranks": ranks, "survey": survey.pk},
        )  # fmt: skip
        # One drawn feature per response: 90% points, 10% routes of ~300 m, around the centre.
        cursor.execute(
            """
            INSERT INTO surveys_mapfeature (response_id, question_id, point, line, area, comment)
            SELECT r.id,
                   CASE WHEN r.id %% 10 = 0 THEN %(route)s ELSE %(where)s END,
                   CASE WHEN r.id %% 10 = 0 THEN NULL ELSE p END,
                   CASE WHEN r.id %% 10 = 0
                        THEN ST_MakeLine(p, ST_Translate(p, 0.003, 0.0015)) END,
                   NULL, ''
            FROM surveys_response r,
                 LATERAL (SELECT ST_SetSRID(ST_MakePoint(
                     %(lon)s + (random() + random() + random() - 1.5 + r.id * 0) * 0.02,
                     %(lat)s + (random() + random() + random() - 1.5) * 0.012), 4326)
                     AS p) AS pt
            WHERE r.survey_id = %(survey)s
            """,
            {"route": route.pk, "where": where.pk, "lon": lon, "lat": lat, "survey": survey.pk},
        )
        cursor.execute("ANALYZE")
    return survey.pk


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.surveys")
    parser.add_argument("--responses", type=int, default=100_000)
    # Sized for about two minutes in all on a busy two-core machine (generation included).
    parser.add_argument("--repeats", type=int, default=5)
    args, _ = parser.parse_known_args()

    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys.models import MapFeature, Survey
    from surveys.selectors import survey_results

    started = time.perf_counter()
    survey_id = _fill(args.responses)
    features = MapFeature.objects.filter(response__survey_id=survey_id).count()
    print(
        f"surveys: generated {args.responses} responses (3 answers each) and {features} drawn "
        f"features in {time.perf_counter() - started:.1f} s"
    )
    survey = Survey.objects.get(pk=survey_id)

    def django() -> None:
        survey_results(survey, full=False)

    with CaptureQueriesContext(connection) as captured:
        results = survey_results(survey, full=False)
    statements = [q["sql"] for q in captured.captured_queries]
    cells = sum(len(r.cells) for r in results.questions)
    hidden = sum(r.suppressed_cells for r in results.questions)

    with psycopg.connect(raw_conninfo(database_url)) as raw_conn:

        def raw() -> None:
            with raw_conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)  # already with Django's literals
                    cursor.fetchall()
            raw_conn.rollback()

        times = interleaved_times({"raw": raw, "django": django}, args.repeats, warmup=1)
    raw_s, django_s = statistics.median(times["raw"]), statistics.median(times["django"])
    ratio = median_ratio(times, "django", "raw")
    print(
        f"surveys: public results of {results.responses.total} responses, {features} features: "
        f"{len(statements)} SQL statements, {cells} public cells ({hidden} under the minimum "
        f"left out); median of {args.repeats}: raw SQL (psycopg) {ms(raw_s)}, "
        f"survey_results (Django) {ms(django_s)}"
    )
    print(f"surveys: survey_results/raw SQL -> ratio {ratio:.2f}")
    print(f"surveys: target <= {TARGET}x of raw SQL: {'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
