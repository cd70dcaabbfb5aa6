"""Results in SQL: counts and shares, scale and number statistics, ranking scores, filters,
and the privacy of map answers (a cell below the minimum is never public)."""

import pytest
from django.contrib.gis.geos import Point

from surveys.selectors import ResultFilter, map_features, survey_results
from surveys.services import paper_response_record, response_submit
from tests.factories import AreaFactory, UserFactory, box
from tests.surveys.helpers import A, B, add, build_survey, line, point, publish

pytestmark = pytest.mark.django_db


def answer(survey, answers):
    return response_submit(survey=survey, user=UserFactory(), answers=answers)


def by_label(result):
    return {c.choice.label: c for c in result.choices}


def test_counts_shares_scale_ranking_and_filter():
    s = build_survey(min_cell_count=2)
    mode = add(s, "single", choices=["Rad", "Bus"])
    scale = add(s, "scale", scale_min=1, scale_max=5)
    rank = add(s, "ranking", choices=["x", "y", "z"])
    publish(s)
    rad, bus = mode.choices.all()
    x, y, z = rank.choices.all()
    answer(s, {mode.pk: rad.pk, scale.pk: 5, rank.pk: [x.pk, y.pk, z.pk]})
    answer(s, {mode.pk: rad.pk, scale.pk: 4, rank.pk: [x.pk, z.pk, y.pk]})
    answer(s, {mode.pk: bus.pk, scale.pk: 1, rank.pk: [z.pk, y.pk, x.pk]})
    paper_response_record(
        actor=s._actor, survey=s, event_name="Stadtfest", event_date="2026-06-01",
        answers={mode.pk: bus.pk},
    )  # fmt: skip
    results = survey_results(s, full=False)
    assert (results.responses.online, results.responses.paper) == (3, 1)
    m, sc, rk = results.questions
    assert by_label(m)["Rad"].counts.total == 2 and by_label(m)["Bus"].counts.paper == 1
    assert by_label(m)["Rad"].share == pytest.approx(0.5)
    assert sc.mean == pytest.approx(10 / 3) and sc.median == 4
    assert sc.distribution == [(1, 1), (2, 0), (3, 0), (4, 1), (5, 1)]
    # Borda: x = 3 + 3 + 1, z = 1 + 2 + 3, y = 2 + 1 + 2.
    assert [(c.choice.label, c.score) for c in rk.choices] == [("x", 7), ("z", 6), ("y", 5)]
    only_rad = survey_results(s, full=False, result_filter=ResultFilter(mode, rad))
    assert only_rad.responses.total == 2
    assert only_rad.questions[1].mean == pytest.approx(4.5)


def test_public_cells_below_the_minimum_are_never_shown():
    s = build_survey(min_cell_count=3, grid_size_m=250)
    where = add(s, "point", max_count=2)
    route = add(s, "line")
    publish(s)
    for _ in range(3):
        answer(s, {where.pk: [point(A)], route.pk: [line(A, B)]})
    answer(s, {where.pk: [point(B)]})  # alone in its cell
    public = survey_results(s, full=False).questions[0]
    assert [c["count"] for c in public.cells] == [3]
    assert public.suppressed_cells == 1
    planners = survey_results(s, full=True).questions[0]
    assert sorted(c["count"] for c in planners.cells) == [1, 3]
    # A route counts in every cell it passes: A to B is about 530 m, at least three cells.
    routes = survey_results(s, full=False).questions[1]
    assert len(routes.cells) >= 3 and {c["count"] for c in routes.cells} == {3}
    cell = Point(*A, srid=4326).transform(25832, clone=True)
    assert (public.cells[0]["i"], public.cells[0]["j"]) == (int(cell.x // 250), int(cell.y // 250))


def test_district_counts_follow_the_minimum_for_the_public():
    AreaFactory(name="Innenstadt", geometry=box(7.765, 49.442, 7.775, 49.447))
    AreaFactory(name="Süd", geometry=box(7.765, 49.435, 7.775, 49.4415))
    s = build_survey(min_cell_count=2)
    where = add(s, "point")
    publish(s)
    for _ in range(2):
        answer(s, {where.pk: [point(A)]})
    answer(s, {where.pk: [point(B)]})
    public = {d["name"]: d["count"] for d in survey_results(s, full=False).questions[0].districts}
    assert public == {"Innenstadt": 2, "Süd": None}
    full = {d["name"]: d["count"] for d in survey_results(s, full=True).questions[0].districts}
    assert full == {"Innenstadt": 2, "Süd": 1}


def test_home_locations_are_never_features():
    s = build_survey()
    home = add(s, "point", is_home_location=True)
    spot = add(s, "point")
    publish(s)
    answer(s, {home.pk: [point(A)], spot.pk: [point(B)]})
    assert [f.question_id for f in map_features(s)] == [spot.pk]


def test_text_answers_only_for_planners():
    s = build_survey()
    text = add(s, "long_text")
    publish(s)
    answer(s, {text.pk: "Mehr Bügel am Bahnhof"})
    assert survey_results(s, full=False).questions[0].texts is None
    assert survey_results(s, full=True).questions[0].texts == ["Mehr Bügel am Bahnhof"]


def test_results_take_a_fixed_number_of_queries(django_assert_num_queries):
    s = build_survey()
    add(s, "single", choices=["a", "b"])
    add(s, "scale")
    add(s, "point")
    publish(s)
    for _ in range(3):
        answer(s, {})
    s.refresh_from_db()
    # questions + choices, responses, answered (and features), choices, numbers, scale, cells,
    # districts
    with django_assert_num_queries(9):
        survey_results(s, full=False)
