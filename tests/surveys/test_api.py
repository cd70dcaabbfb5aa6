"""Surveys in API v1: listing, answering (field-by-field 400s, 403 when closed), results with
the public's privacy minimum, planners' features, and the OpenAPI document."""

from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from surveys.models import Response
from tests.factories import UserFactory
from tests.surveys.helpers import FAR, A, B, add, build_survey, point, publish

pytestmark = pytest.mark.django_db


def url(survey, part=""):
    return f"/api/v1/surveys/{survey.slug}/{part}"


@pytest.fixture
def survey():
    s = build_survey(min_cell_count=2)
    mode = add(s, "single", choices=["Rad", "Bus"], required=True)
    add(s, "point", max_count=2, feature_comment=True)
    publish(s)
    s.mode = mode
    return s


def test_list_and_detail(client, survey):
    draft = build_survey(title="Entwurf")
    listed = client.get("/api/v1/surveys/").json()
    assert [x["slug"] for x in listed] == [survey.slug]
    assert client.get(url(draft)).status_code == 404
    detail = client.get(url(survey)).json()
    assert [q["kind"] for q in detail["questions"]] == ["single", "point"]
    assert detail["questions"][0]["choices"][0]["label"] == "Rad"
    assert detail["state"] == "open"


def test_submit_change_and_read_own_answer(client, survey):
    user = UserFactory()
    client.force_login(user)
    rad, bus = survey.mode.choices.all()
    pts = survey.questions.get(kind="point")
    body = {"answers": {f"q{survey.mode.pk}": rad.pk, f"q{pts.pk}": [point(A, "Bügel fehlen")]}}
    response = client.put(url(survey, "response/"), body, content_type="application/json")
    assert response.status_code == 200, response.content
    body["answers"][f"q{survey.mode.pk}"] = bus.pk
    client.put(url(survey, "response/"), body, content_type="application/json")
    own = client.get(url(survey, "response/")).json()
    assert own["answers"][f"q{survey.mode.pk}"] == bus.pk
    assert own["answers"][f"q{pts.pk}"][0]["comment"] == "Bügel fehlen"
    assert Response.objects.filter(user=user).count() == 1
    assert client.delete(url(survey, "response/")).status_code == 204
    assert client.get(url(survey, "response/")).status_code == 404


def test_bad_answers_are_400_per_field_in_german(client, survey):
    client.force_login(UserFactory())
    pts = survey.questions.get(kind="point")
    body = {"answers": {f"q{pts.pk}": [point(FAR)]}}
    response = client.put(url(survey, "response/"), body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert errors[f"q{survey.mode.pk}"] == ["Bitte beantworten Sie diese Frage."]
    assert errors[f"q{pts.pk}"] == [
        "Objekt 1: Es liegt (teilweise) außerhalb des Projektgebiets. Bitte bleiben Sie darin."
    ]
    assert Response.objects.count() == 0
    bad = client.put(url(survey, "response/"), {"answers": 5}, content_type="application/json")
    assert bad.status_code == 400


def test_closed_survey_is_403_with_the_reason(client, survey):
    client.force_login(UserFactory())
    survey.closes_at = timezone.now() - timedelta(minutes=1)
    survey.opens_at = survey.closes_at - timedelta(days=1)
    survey.save()
    body = {"answers": {f"q{survey.mode.pk}": survey.mode.choices.first().pk}}
    response = client.put(url(survey, "response/"), body, content_type="application/json")
    assert response.status_code == 403
    assert "geschlossen" in response.json()["detail"]


def test_anonymous_answers_need_a_token(client):
    s = build_survey(audience="anyone")
    q = add(s, "short_text")
    publish(s)
    body = {"answers": {f"q{q.pk}": "hallo"}}
    refused = client.put(url(s, "response/"), body, content_type="application/json")
    assert refused.status_code == 400
    ok = client.put(
        url(s, "response/"), body, content_type="application/json", HTTP_X_SURVEY_TOKEN="z" * 32
    )
    assert ok.status_code == 200
    assert client.get(url(s, "response/"), HTTP_X_SURVEY_TOKEN="z" * 32).status_code == 200
    assert client.get(url(s, "response/"), HTTP_X_SURVEY_TOKEN="y" * 32).status_code == 404


def test_results_public_cells_respect_the_minimum(client, survey, planner_user):
    survey.results_visibility = "live"
    survey.save()
    pts = survey.questions.get(kind="point")
    rad = survey.mode.choices.first()
    for where in (A, A, B):
        client.force_login(UserFactory())
        body = {"answers": {f"q{survey.mode.pk}": rad.pk, f"q{pts.pk}": [point(where)]}}
        client.put(url(survey, "response/"), body, content_type="application/json")
    client.logout()
    public = client.get(url(survey, "results/")).json()
    cells = public["questions"][1]["cells"]["features"]
    assert [c["properties"]["count"] for c in cells] == [2]
    assert public["questions"][1]["suppressed_cells"] == 1
    assert public["full"] is False
    # The public download of cells is the same aggregation: the lone cell is not in it.
    download = client.get(url(survey, "cells.geojson")).json()["features"]
    assert [c["properties"]["count"] for c in download] == [2]
    assert client.get(url(survey, "features/")).status_code == 403
    client.force_login(planner_user)
    full = client.get(url(survey, "results/")).json()
    assert sorted(c["properties"]["count"] for c in full["questions"][1]["cells"]["features"]) == [
        1,
        2,
    ]
    features = client.get(url(survey, "features/")).json()["features"]
    assert len(features) == 3 and set(features[0]["properties"]) == {
        "question",
        "response",
        "comment",
    }
    cells = client.get(url(survey, "cells.geojson")).json()["features"]
    assert len(cells) == 2  # the planners' download has the lone cell too
    filtered = client.get(url(survey, "results/"), {"filter_choice": rad.pk}).json()
    assert filtered["responses"]["total"] == 3
    assert client.get(url(survey, "results/"), {"filter_choice": "x"}).status_code == 400


def test_results_after_close_only(client, survey):
    assert client.get(url(survey, "results/")).status_code == 403


def test_openapi_has_the_survey_endpoints(client, tmp_path):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert {
        "/api/v1/surveys/",
        "/api/v1/surveys/{slug}/",
        "/api/v1/surveys/{slug}/response/",
        "/api/v1/surveys/{slug}/results/",
        "/api/v1/surveys/{slug}/features/",
        "/api/v1/surveys/{slug}/cells.geojson",
        "/api/v1/surveys/{slug}/paper/",
    } <= set(schema["paths"])
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_paper_questionnaires_by_planners(client, survey, planner_user):
    rad, bus = survey.mode.choices.all()
    body = {"event_name": "Stadtfest", "event_date": "2026-06-01", "answers": {}}
    client.force_login(UserFactory())
    assert (
        client.post(url(survey, "paper/"), body, content_type="application/json").status_code == 403
    )
    client.force_login(planner_user)
    refused = client.post(url(survey, "paper/"), body, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json() == {f"q{survey.mode.pk}": ["Bitte beantworten Sie diese Frage."]}
    body["answers"] = {f"q{survey.mode.pk}": rad.pk}
    first = client.post(url(survey, "paper/"), body, content_type="application/json").json()
    body.update(answers={f"q{survey.mode.pk}": bus.pk}, supersedes=first["id"],
                correction_reason="Kreuz falsch gelesen")  # fmt: skip
    second = client.post(url(survey, "paper/"), body, content_type="application/json")
    assert second.status_code == 201
    entries = client.get(url(survey, "paper/")).json()
    assert [e["is_current"] for e in entries] == [False, True]
    survey.results_visibility = "live"
    survey.save()
    results = client.get(url(survey, "results/")).json()
    counts = {c["label"]: (c["online"], c["paper"]) for c in results["questions"][0]["choices"]}
    assert counts == {"Rad": (0, 0), "Bus": (0, 1)}


def test_answers_are_rate_limited(client, survey, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "surveys": "2/m"}
    client.force_login(UserFactory())
    body = {"answers": {f"q{survey.mode.pk}": survey.mode.choices.first().pk}}
    statuses = [
        client.put(url(survey, "response/"), body, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
