"""Published map answers as an OGC API - Features collection: public grid cells only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from surveys.models import PublicCell, Survey
from surveys.selectors import public_cells, survey_results
from surveys.services import response_submit
from tests.api.test_ogc_gdal import gdal
from tests.factories import UserFactory
from tests.surveys.helpers import A, B, C, add, build_survey, line, point, publish


def answer(survey, answers):
    return response_submit(survey=survey, user=UserFactory(), answers=answers)


def live_survey(**values):
    """An open survey whose results are public while it runs, with one lone point (at B)."""
    values = {"min_cell_count": 3, "grid_size_m": 250, "results_visibility": "live", **values}
    s = build_survey(**values)
    where = add(s, "point", max_count=2)
    home = add(s, "point", is_home_location=True)
    route = add(s, "line")
    publish(s)
    for _ in range(3):
        answer(s, {where.pk: [point(A)], home.pk: [point(C)], route.pk: [line(A, B)]})
    answer(s, {where.pk: [point(B)]})  # alone in its cell: never public
    return s


@pytest.mark.django_db
def test_the_collection_holds_exactly_the_public_results_cells():
    s = live_survey()
    public = survey_results(s, full=False)
    expected = [(q.question.pk, c["count"]) for q in public.questions for c in q.cells]
    assert sum(q.suppressed_cells for q in public.questions) == 1
    rows = list(public_cells().filter(survey=s).values_list("question_id", "count", "geometry"))
    assert sorted((qid, n) for qid, n, _g in rows) == sorted(expected)
    assert all(n >= 3 for _q, n, _g in rows)
    # The home location shows as a cell, never as a point; every feature is a cell polygon.
    assert {g.geom_type for _q, _n, g in rows} == {"Polygon"}
    home = s.questions.get(is_home_location=True)
    assert [n for qid, n, _g in rows if qid == home.pk] == [3]
    # Same cells as the public results page, corner by corner.
    by_page = {
        (q.question.pk, tuple(round(v, 5) for v in c["geometry"]["coordinates"][0][0]))
        for q in public.questions
        for c in q.cells
    }
    by_ogc = {(qid, tuple(round(v, 5) for v in g.coords[0][0])) for qid, _n, g in rows}
    assert by_ogc == by_page


@pytest.mark.django_db
def test_surveys_whose_results_are_not_public_have_no_cells():
    after_close = live_survey(results_visibility="after_close")
    draft = live_survey()
    Survey.objects.filter(pk=draft.pk).update(is_published=False)
    visible = set(public_cells().values_list("survey_id", flat=True))
    assert after_close.pk not in visible and draft.pk not in visible
    assert public_cells().count() == 0
    # The cells exist; the rule of whose results are public is what keeps them out.
    assert PublicCell.objects.filter(survey__in=[after_close, draft]).count() > 0


@pytest.mark.django_db
def test_items_and_item_over_http(client):
    s = live_survey()
    body = client.get("/ogc/collections/survey-cells/items", {"f": "json"}).json()
    assert body["numberMatched"] == public_cells().filter(survey=s).count() > 0
    for feature in body["features"]:
        assert feature["geometry"]["type"] == "Polygon"
        assert set(feature["properties"]) == {"survey", "question", "question_id", "count"}
        assert feature["properties"]["count"] >= 3
    one = body["features"][0]["id"]
    item = client.get(f"/ogc/collections/survey-cells/items/{one}", {"f": "json"})
    assert item.status_code == 200 and item.json()["id"] == one
    assert client.get("/ogc/collections/survey-cells/items/1", {"f": "json"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_gdal_reads_the_cells_and_never_a_cell_below_the_minimum(live_server, tmp_path: Path):
    s = live_survey()
    where = s.questions.get(text="Frage point", is_home_location=False)
    url = f"OAPIF:{live_server.url}/ogc/"
    summary = gdal("ogrinfo", "-ro", "-so", url, "survey-cells").stdout
    expected = public_cells().filter(survey=s).count()
    assert re.search(rf"^Feature Count: {expected}$", summary, re.M), summary
    assert re.search(r"^Geometry: Polygon$", summary, re.M), summary
    out = tmp_path / "cells.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", str(out), url, "survey-cells")
    features = json.loads(out.read_text())["features"]
    assert len(features) == expected
    assert min(f["properties"]["count"] for f in features) == 3
    lone = [
        f
        for f in features
        if f["properties"]["question_id"] == where.pk
        and _contains(f["geometry"]["coordinates"][0], B)
    ]
    assert lone == []  # B's cell has one response: below the minimum of 3
    at_a = [
        f
        for f in features
        if f["properties"]["question_id"] == where.pk
        and _contains(f["geometry"]["coordinates"][0], A)
    ]
    assert [f["properties"]["count"] for f in at_a] == [3]


def _contains(ring: list[list[float]], lonlat: list[float]) -> bool:
    xs = [x for x, _y in ring]
    ys = [y for _x, y in ring]
    return min(xs) <= lonlat[0] <= max(xs) and min(ys) <= lonlat[1] <= max(ys)
