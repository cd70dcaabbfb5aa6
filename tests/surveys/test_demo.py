"""The demo survey: loaded by load_demo, marked as demo data, results meaningful and private."""

import io
import time

import pytest
from django.core.management import call_command

from surveys.models import MapFeature, Response, Survey
from surveys.selectors import survey_results

pytestmark = pytest.mark.django_db


def test_load_demo_brings_the_survey_with_generated_answers(client):
    started = time.perf_counter()
    call_command("load_demo", stdout=io.StringIO())
    print(f"load_demo took {time.perf_counter() - started:.1f} s")
    survey = Survey.objects.get(slug="innenstadt-erreichen")
    assert survey.is_demo and survey.state == "open"
    assert (
        Response.objects.filter(survey=survey, is_demo=True).count()
        == Response.objects.filter(survey=survey).count()
        >= 100
    )
    assert MapFeature.objects.filter(response__survey=survey, line__isnull=False).exists()
    results = survey_results(survey, full=False)
    parking = next(r for r in results.questions if r.question.text.startswith("Wo fehlen"))
    assert parking.cells and all(c["count"] >= survey.min_cell_count for c in parking.cells)
    home = client.get("/").content.decode()
    assert "/umfragen/innenstadt-erreichen/" in home
    page = client.get("/umfragen/innenstadt-erreichen/ergebnisse/")
    assert page.status_code == 200 and "Demodaten" in page.content.decode()
    # Loading again adds nothing.
    call_command("load_survey_demo", stdout=io.StringIO())
    assert Survey.objects.filter(slug="innenstadt-erreichen").count() == 1
