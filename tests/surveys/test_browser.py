"""In Chromium: axe-core finds no violations on the survey, its results and the builder; a
person answers by map clicks and by keyboard only; nothing is asked of another host."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.geos import Point

from surveys.models import MapFeature, Response
from surveys.services import response_submit
from tests.e2e.conftest import SHOTS
from tests.factories import AreaFactory, SiteFactory, UserFactory, box, planner
from tests.surveys.helpers import A, add, build_survey, point, publish


def make_survey() -> Any:
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz", location=Point(*A, srid=4326))
    SiteFactory(
        name="Rathausvorplatz", slug="rathausvorplatz", location=Point(7.772, 49.4471, srid=4326)
    )
    AreaFactory(name="Innenstadt", geometry=box(7.76, 49.44, 7.78, 49.45))
    s = build_survey(min_cell_count=2, results_visibility="live")
    mode = add(
        s, "single", "Wie kommen Sie in die Innenstadt?", choices=["Zu Fuß", "Rad"], required=True
    )
    add(s, "point", "Wo fehlen Radabstellplätze?", max_count=3, feature_comment=True)
    add(s, "line", "Welchen Weg gehen Sie?", max_length_m=3000)
    add(s, "area", "Wo halten Sie sich gern auf?")
    add(s, "ranking", "Was ist wichtig?", choices=["Sicherheit", "Schatten"], min_count=1)
    add(
        s,
        "scale",
        "Wie zufrieden sind Sie?",
        scale_min=1,
        scale_max=5,
        scale_min_label="gar nicht",
        scale_max_label="sehr",
    )
    add(s, "long_text", "Noch etwas?")
    publish(s)
    s.mode = mode
    for _ in range(2):
        response_submit(
            survey=s,
            user=UserFactory(),
            answers={
                mode.pk: mode.choices.first().pk,
                s.questions.get(kind="point").pk: [point(A)],
            },
        )
    return s


def test_axe_finds_no_violations_on_survey_results_and_builder(visit: Any) -> None:
    s = make_survey()
    citizen = UserFactory(username="axe")
    anonymous = visit()
    signed_in = visit()
    signed_in.sign_in(citizen)
    planning = visit()
    planning.sign_in(planner(username="planerin"))
    pages = {
        "survey (anonymous, sign-in needed)": (anonymous, f"/umfragen/{s.slug}/"),
        "survey (signed in)": (signed_in, f"/umfragen/{s.slug}/"),
        "results (public)": (anonymous, f"/umfragen/{s.slug}/ergebnisse/"),
        "builder list": (planning, "/planung/umfragen/"),
        "builder": (planning, f"/planung/umfragen/{s.slug}/"),
        "planners' results": (planning, f"/planung/umfragen/{s.slug}/ergebnisse/"),
        "paper questionnaires": (planning, f"/planung/umfragen/{s.slug}/papier/"),
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for name, (v, path) in pages.items():
        response = v.page.goto(v.url(path))
        assert response is not None and response.status == 200, name
        if v.page.locator(".survey-map").count():
            v.page.wait_for_selector(".survey-map[data-ready]")
        found[name] = v.axe()
    # The refused answer: the error summary and the messages per question.
    page = signed_in.page
    page.goto(signed_in.url(f"/umfragen/{s.slug}/"))
    page.get_by_role("button", name="Meine Antworten senden").click()
    page.wait_for_selector(".error-summary")
    found["survey with errors"] = signed_in.axe()
    paper = planning.page
    paper.goto(planning.url(f"/planung/umfragen/{s.slug}/papier/"))
    paper.get_by_role("button", name="Fragebogen eintragen").click()
    paper.wait_for_selector(".error-summary")
    found["paper questionnaire with errors"] = planning.axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "survey-errors.png"), full_page=True)
    counts = {name: len(v) for name, v in found.items()}
    print("axe violations per page:", json.dumps(counts, indent=2))
    assert counts == dict.fromkeys(found, 0), json.dumps(
        {k: v for k, v in found.items() if v}, indent=2, ensure_ascii=False
    )


def click_map(v: Any, key: str, lon: float, lat: float) -> None:
    point_ = v.page.evaluate(
        """([key, lat, lon]) => {
            const node = document.querySelector(`.survey-map[data-for="${key}"]`);
            const p = node.mmkMap.latLngToContainerPoint([lat, lon]);
            const box = node.getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [key, lat, lon],
    )
    v.page.mouse.click(point_["x"], point_["y"])


def test_answer_by_map_on_a_phone_and_by_keyboard(visit: Any) -> None:
    s = make_survey()
    person = UserFactory(username="antwortende")
    phone = visit(width=390, height=844, is_mobile=True, has_touch=True)
    phone.sign_in(person)
    page = phone.page
    page.goto(phone.url(f"/umfragen/{s.slug}/"))
    page.wait_for_selector(".survey-map[data-ready]")
    q = {x.kind: f"q{x.pk}" for x in s.questions.all()}
    # Map: two points by clicks, a line by three clicks, an area by three clicks.
    page.get_by_label("Rad").check()
    for key, places in (
        (q["point"], [(7.7689, 49.4447), (7.772, 49.4471)]),
        (q["line"], [(7.765, 49.443), (7.768, 49.444), (7.7715, 49.4462)]),
        (q["area"], [(7.766, 49.443), (7.769, 49.443), (7.7675, 49.445)]),
    ):
        page.locator(f'.survey-map[data-for="{key}"]').scroll_into_view_if_needed()
        for lon, lat in places:
            click_map(phone, key, lon, lat)
    assert page.locator(f"#{q['point']}").input_value().count("\n") == 1
    page.locator(f"#{q['point']}-status").wait_for()
    page.select_option(
        f"#{q['ranking']}_c{s.questions.get(kind='ranking').choices.first().pk}", "1"
    )
    page.get_by_role("button", name="Meine Antworten senden").click()
    page.wait_for_url("**/danke/")
    assert "Eine Kopie Ihrer Antworten" in page.content()
    response = Response.objects.get(user=person)
    assert MapFeature.objects.filter(response=response, point__isnull=False).count() == 2
    assert MapFeature.objects.get(response=response, line__isnull=False).line.num_points == 3
    assert MapFeature.objects.get(response=response, area__isnull=False).area.num_points == 4

    # Keyboard only, on a desktop: no mouse event at all.
    typist = UserFactory(username="tastatur")
    desk = visit()
    desk.sign_in(typist)
    page = desk.page
    page.goto(desk.url(f"/umfragen/{s.slug}/"))
    page.wait_for_selector(".survey-map[data-ready]")
    page.focus(f"#{q['single']}-{s.mode.choices.first().pk}")
    page.keyboard.press("Space")
    # A point from the list of places, added with the keyboard.
    page.focus(f"#{q['point']}-place")
    page.keyboard.press("ArrowDown")  # "Rathausvorplatz" (sorted by name)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # A route typed: a place name, then coordinates.
    page.focus(f"#{q['line']}")
    page.keyboard.type("Stiftsplatz\n7.7720, 49.4471")
    # The scale with arrow keys.
    page.focus(f"#{q['scale']}-1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.focus(f"#{q['long_text']}")
    page.keyboard.type("Mehr Bänke bitte.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the submit button follows the last question
    page.wait_for_url("**/danke/")
    response = Response.objects.get(user=typist)
    assert MapFeature.objects.get(response=response, point__isnull=False).point.coords == (
        7.772,
        49.4471,
    )
    assert MapFeature.objects.get(response=response, line__isnull=False).line.coords[0] == tuple(A)
    assert response.answers.get(question__kind="scale").number == 3
    assert response.answers.get(question__kind="long_text").text == "Mehr Bänke bitte."
