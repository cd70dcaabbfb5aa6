"""The Kaiserslautern demo survey: how people reach the city centre, where bicycle parking is
missing, which routes they walk. Its answers are generated (marked as demo data) and go
through the same service as real ones, so every check applies to them."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import MultiPolygon, Point

from accounts.types import Person
from geo.models import Area
from locations.models import Site
from proposals.models import Project
from surveys.models import Question, Survey
from surveys.services import question_create, response_submit, survey_create, survey_publish

SLUG = "innenstadt-erreichen"
RESPONSES = 120
# The centre's hotspots for bicycle parking (sites of the demo data), by name.
PARKING = ["Stiftsplatz", "Schillerplatz", "Willy-Brandt-Platz", "Rathausvorplatz", "Mainzer Tor"]


def load(*, actor: Person, now: datetime, responses: int = RESPONSES) -> Survey | None:
    """Create the demo project and survey and fill it; None if the areas are missing."""
    city = Area.objects.filter(kind=Area.Kind.CITY).first()
    if city is None or Survey.objects.filter(slug=SLUG).exists():
        return None
    project = Project(
        title="Mobilität in der Innenstadt",
        slug="mobilitaet-innenstadt",
        summary="Wie kommen Sie in die Innenstadt, wo fehlen Radabstellplätze, welche Wege "
        "gehen Sie? Ihre Antworten auf der Karte helfen der Verkehrsplanung.",
        body="Eine Umfrage mit Kartenfragen. Demodaten: Die Antworten sind erfunden.",
        perimeter=MultiPolygon(*city.geometry, srid=4326),
        is_published=True,
        office="Referat Umweltschutz und Mobilität",
        allow_citizen_pins=False,
    )
    project.full_clean()
    project.save()
    survey = survey_create(
        actor=actor,
        project=project,
        title="Wie erreichen Sie die Innenstadt?",
        slug=SLUG,
        intro="Sagen Sie uns, wie Sie in die Innenstadt kommen, wo Sie Ihr Fahrrad nicht "
        "abstellen können und welche Wege Sie zu Fuß gehen. Alle Kartenfragen lassen sich "
        "auch ohne Maus beantworten.\n\nDemodaten: Die gezeigten Antworten sind erfunden.",
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(days=28),
        audience=Survey.Audience.ANYONE,
        results_visibility=Project.ResultsVisibility.LIVE,
        grid_size_m=200,
        min_cell_count=5,
        is_demo=True,
    )
    q: dict[str, Question] = {}

    def add(name: str, kind: str, text: str, **values: Any) -> None:
        q[name] = question_create(actor=actor, survey=survey, kind=kind, text=text, **values)

    add(
        "mode",
        "single",
        "Wie kommen Sie meistens in die Innenstadt?",
        required=True,
        choices=["Zu Fuß", "Mit dem Fahrrad", "Mit Bus oder Bahn", "Mit dem Auto", "Anders"],
    )
    add(
        "parking_ok",
        "scale",
        "Wie zufrieden sind Sie mit den Radabstellplätzen?",
        scale_min=1,
        scale_max=5,
        scale_min_label="gar nicht",
        scale_max_label="sehr",
    )
    add(
        "parking",
        "point",
        "Wo fehlen Fahrradabstellplätze?",
        min_count=1,
        max_count=5,
        feature_comment=True,
        help_text="Setzen Sie bis zu fünf Punkte.",
    )
    add(
        "walk",
        "line",
        "Welche Wege gehen Sie in der Innenstadt zu Fuß?",
        max_count=3,
        max_length_m=4000,
    )
    add("stay", "area", "Wo halten Sie sich gern auf?", max_count=2, max_area_m2=200_000)
    add(
        "priorities",
        "ranking",
        "Was ist Ihnen auf Ihren Wegen am wichtigsten?",
        choices=["Sicherheit", "Kurze Wege", "Schatten und Grün", "Barrierefreiheit"],
        min_count=1,
    )
    car = q["mode"].choices.get(label="Mit dem Auto")
    add(
        "switch",
        "multiple",
        "Was würde Sie bewegen, ohne Auto zu kommen?",
        min_count=1,
        max_count=3,
        show_if_question=q["mode"],
        show_if_choice=car,
        choices=["Bessere Radwege", "Häufigere Busse", "Sichere Abstellplätze", "Nichts"],
    )
    add(
        "home",
        "point",
        "Wo wohnen Sie ungefähr?",
        max_count=1,
        is_home_location=True,
        help_text="Nur zur Auswertung nach Stadtteilen; nie als Punkt gezeigt.",
    )
    add("remarks", "long_text", "Was möchten Sie der Stadt noch sagen?")  # fmt: skip
    survey_publish(actor=actor, survey=survey, now=now)
    _answers(survey, q, responses)
    return survey


def _answers(survey: Survey, q: dict[str, Question], n: int) -> None:
    rnd = random.Random(11)  # noqa: S311 -- demo data, reproducible
    perimeter = survey.project.perimeter
    hotspots = [s.location for s in Site.objects.filter(name__in=PARKING)] or [
        Point(7.7689, 49.4447, srid=4326)
    ]
    centre = Point(7.7695, 49.4445, srid=4326)
    districts = list(Area.objects.filter(kind=Area.Kind.DISTRICT))
    choices = {name: list(q[name].choices.all()) for name in ("mode", "priorities", "switch")}
    mode_weights = [18, 30, 22, 25, 5]

    def jitter(p: Point, metres: float) -> list[float]:
        for _ in range(20):
            dx, dy = rnd.gauss(0, metres), rnd.gauss(0, metres)
            lon = p.x + dx / (111_320 * math.cos(math.radians(p.y)))
            lat = p.y + dy / 110_540
            if perimeter.covers(Point(lon, lat, srid=4326)):
                return [round(lon, 6), round(lat, 6)]
        return [p.x, p.y]

    for i in range(n):
        mode = rnd.choices(choices["mode"], weights=mode_weights)[0]
        answers: dict[Any, Any] = {
            q["mode"].pk: mode.pk,
            q["parking_ok"].pk: rnd.choices([1, 2, 3, 4, 5], weights=[25, 30, 25, 15, 5])[0],
        }
        spots = [
            {"geometry": {"type": "Point", "coordinates": jitter(rnd.choice(hotspots), 60)},
             "comment": rnd.choice(["", "", "Bügel fehlen", "Immer voll", "Überdacht wäre gut"])}
            for _ in range(rnd.randint(1, 3))
        ]  # fmt: skip
        answers[q["parking"].pk] = spots
        if rnd.random() < 0.7:
            start = jitter(centre, 700)
            end = [hotspots[i % len(hotspots)].x, hotspots[i % len(hotspots)].y]
            middle = [
                [start[0] + (end[0] - start[0]) * t + rnd.gauss(0, 0.0008),
                 start[1] + (end[1] - start[1]) * t + rnd.gauss(0, 0.0005)]
                for t in (0.33, 0.66)
            ]  # fmt: skip
            answers[q["walk"].pk] = [
                {"geometry": {"type": "LineString", "coordinates": [start, *middle, end]}}
            ]
        if rnd.random() < 0.4:
            c = jitter(rnd.choice(hotspots), 40)
            d = 0.0012
            ring = [[c[0] - d, c[1] - d / 2], [c[0] + d, c[1] - d / 2], [c[0] + d, c[1] + d / 2],
                    [c[0] - d, c[1] + d / 2]]  # fmt: skip
            answers[q["stay"].pk] = [{"geometry": {"type": "Polygon", "coordinates": [ring]}}]
        ranked = choices["priorities"][:]
        rnd.shuffle(ranked)
        answers[q["priorities"].pk] = [c.pk for c in ranked[: rnd.randint(1, 4)]]
        if mode.label == "Mit dem Auto":
            picked = rnd.sample(choices["switch"][:3], rnd.randint(1, 2))
            answers[q["switch"].pk] = [c.pk for c in picked]
        if districts and rnd.random() < 0.8:
            district = rnd.choice(districts)
            home = jitter(district.geometry.point_on_surface, 400)
            answers[q["home"].pk] = [{"geometry": {"type": "Point", "coordinates": home}}]
        if rnd.random() < 0.15:
            answers[q["remarks"].pk] = rnd.choice(
                ["Mehr Bänke bitte.", "Die Ampeln am Ring dauern zu lange.",
                 "Abends ist die Fackelstraße zu dunkel.", "Danke für die Umfrage!"]
            )  # fmt: skip
        response_submit(
            survey=survey,
            user=AnonymousUser(),
            answers=answers,
            browser_token=f"demo-browser-{i:06d}-{rnd.getrandbits(64):016x}",
            is_demo=True,
        )
