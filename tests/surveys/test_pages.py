"""Survey pages: answering by keyboard (places from the list, typed coordinates), the copy on
the thank-you page, the public results page's privacy, and the builder."""

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from surveys.models import MapFeature, Response, Survey
from tests.factories import SiteFactory, UserFactory
from tests.surveys.helpers import A, B, add, build_survey, point, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    SiteFactory(name="Stiftsplatz", location=Point(*A, srid=4326))
    s = build_survey(min_cell_count=2)
    mode = add(s, "single", choices=["Rad", "Bus"], required=True)
    add(s, "point", max_count=3, feature_comment=True)
    add(s, "line")
    add(s, "ranking", choices=["Sicherheit", "Schatten", "Kürze"], min_count=1)
    publish(s)
    s.mode = mode
    return s


def test_answer_by_keyboard_and_get_a_copy(client, survey):
    client.force_login(UserFactory())
    page = client.get(f"/umfragen/{survey.slug}/")
    assert page.status_code == 200
    assert "Stiftsplatz" in page.content.decode()
    pts, route, rank = survey.questions.exclude(pk=survey.mode.pk).order_by("position")
    rad = survey.mode.choices.first()
    safety, shade, _short = rank.choices.all()
    response = client.post(
        f"/umfragen/{survey.slug}/",
        {
            f"q{survey.mode.pk}": rad.pk,
            f"q{pts.pk}": "Stiftsplatz | Bügel fehlen\n7.7700, 49.4400",
            f"q{route.pk}": "stiftsplatz\n7,77 49,44",
            f"q{rank.pk}_c{shade.pk}": "1",
            f"q{rank.pk}_c{safety.pk}": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert MapFeature.objects.filter(question=pts).count() == 2
    assert MapFeature.objects.get(question=route).line.coords[0] == tuple(A)
    thanks = client.get(response["Location"]).content.decode()
    assert "Bügel fehlen" in thanks and "1. Schatten" in thanks and "2. Sicherheit" in thanks
    # Editing: the page shows the stored places as lines again.
    again = client.get(f"/umfragen/{survey.slug}/").content.decode()
    assert "7.768900, 49.444700 | Bügel fehlen" in again


def test_errors_are_shown_per_question_and_nothing_is_stored(client, survey):
    client.force_login(UserFactory())
    pts = survey.questions.get(kind="point")
    with translation.override("de"):
        response = client.post(f"/umfragen/{survey.slug}/", {f"q{pts.pk}": "Nirgendwo\n1, 2"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Bitte beantworten Sie diese Frage." in html
    assert "„Nirgendwo“" in html or "Nirgendwo" in html
    assert Response.objects.count() == 0


def test_public_results_page_never_shows_a_cell_below_the_minimum(client, survey):
    survey.results_visibility = "live"
    survey.save()
    pts = survey.questions.get(kind="point")
    from surveys.services import response_submit

    rad = survey.mode.choices.first()
    for where in (A, A, B):
        response_submit(
            survey=survey,
            user=UserFactory(),
            answers={survey.mode.pk: rad.pk, pts.pk: [point(where)]},
        )
    html = client.get(f"/umfragen/{survey.slug}/ergebnisse/").content.decode()
    assert "1 Quadrat mit zu wenigen Antworten ausgelassen" in html
    # Only the cell with 2 responses is in the page's data; the lone point's cell is not.
    assert '"count": 2' in html and '"count": 1' not in html


def test_builder_creates_adds_reorders_and_publishes(client, planner_user):
    from tests.factories import ProjectFactory

    project = ProjectFactory()
    client.force_login(planner_user)
    created = client.post(
        "/planung/umfragen/",
        {
            "project": project.pk,
            "title": "Radabstellplätze",
            "slug": "rad",
            "opens_at": "2026-01-01T00:00",
            "closes_at": "2027-01-01T00:00",
            "audience": "accounts",
            "results_visibility": "after_close",
            "grid_size_m": 250,
            "min_cell_count": 5,
        },
    )
    assert created.status_code == 302
    survey = Survey.objects.get(slug="rad")
    for kind, text in (("point", "Wo fehlen Bügel?"), ("single", "Wie oft?")):
        added = client.post(
            "/planung/umfragen/rad/",
            {
                "action": "add",
                "new-kind": kind,
                "new-text": text,
                "new-choices_text": "oft\nselten",
            },
        )
        assert added.status_code == 302, added.content.decode()[:2000]
    _first, second = survey.questions.all()
    client.post("/planung/umfragen/rad/", {"action": "up", "question": second.pk})
    assert list(survey.questions.values_list("kind", flat=True)) == ["single", "point"]
    refused = client.post(
        "/planung/umfragen/rad/", {"action": "add", "new-kind": "single", "new-text": "x"}
    )
    assert "Bieten Sie mindestens zwei Antworten zur Auswahl an." in refused.content.decode()
    preview = client.get("/umfragen/rad/")
    assert "Vorschau" in preview.content.decode()
    client.post("/planung/umfragen/rad/", {"action": "publish"})
    survey.refresh_from_db()
    assert survey.is_published
    assert client.get("/planung/umfragen/rad/ergebnisse/").status_code == 200


def test_builder_is_for_planners(client):
    client.force_login(UserFactory())
    assert client.get("/planung/umfragen/").status_code == 403


def test_planners_enter_and_correct_paper_questionnaires(client, survey):
    from audit.models import AuditEntry

    client.force_login(survey._actor)
    url = f"/planung/umfragen/{survey.slug}/papier/"
    page = client.get(url)
    assert page.status_code == 200 and "Stiftsplatz" in page.content.decode()
    rad, bus = survey.mode.choices.all()
    pts = survey.questions.get(kind="point")
    entered = client.post(
        url,
        {
            "event_name": "Stadtteilfest",
            "event_date": "2026-06-01",
            f"q{survey.mode.pk}": rad.pk,
            f"q{pts.pk}": "Stiftsplatz",
        },
    )
    assert entered.status_code == 302
    first = Response.objects.get(survey=survey, source="paper")
    assert (first.event_name, str(first.event_date), first.recorded_by) == (
        "Stadtteilfest",
        "2026-06-01",
        survey._actor,
    )
    assert MapFeature.objects.filter(response=first, question=pts).count() == 1
    # Field by field, nothing stored: no event, the required question unanswered.
    refused = client.post(url, {"event_date": "2026-06-01"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "error-summary" in text and f'href="#q{survey.mode.pk}-label"' in text
    assert 'href="#id_event_name"' in text
    # A correction needs a reason; with one, it supersedes the entry and is audited.
    fix = {"event_name": "Stadtteilfest", "event_date": "2026-06-01", "supersedes": first.pk}
    no_reason = client.post(url, {**fix, f"q{survey.mode.pk}": bus.pk})
    assert no_reason.status_code == 400 and 'href="#id_correction_reason"' in (
        no_reason.content.decode()
    )
    assert Response.objects.filter(survey=survey, source="paper").count() == 1
    corrected = client.post(
        url, {**fix, f"q{survey.mode.pk}": bus.pk, "correction_reason": "Kreuz verlesen"}
    )
    assert corrected.status_code == 302
    first.refresh_from_db()
    second = Response.objects.get(supersedes=first)
    assert not first.is_current and second.is_current
    assert AuditEntry.objects.filter(action="survey.paper.correct").count() == 1
    listing = client.get(url).content.decode()
    assert "Kreuz verlesen" in listing


def test_only_planners_enter_paper_questionnaires(client, survey):
    client.force_login(UserFactory())
    url = f"/planung/umfragen/{survey.slug}/papier/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"event_name": "x", "event_date": "2026-06-01"}).status_code == 403
    assert not Response.objects.filter(source="paper").exists()
