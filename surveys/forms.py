"""The survey page's form: reading the posted fields into the API's answer form.

Map questions are answered in one text box per question, which the map script fills when
people click or tap, and which anyone can fill by keyboard: one place per line, either
`longitude, latitude` or the name of one of the city's sites or districts; a blank line starts
the next line or area; ` | ` followed by text adds a comment to the feature.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from geo.models import Area
from locations.models import Site
from surveys.models import Question, Survey

_COORDINATES = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,; ]\s*(-?\d+(?:[.,]\d+)?)\s*$")
MAX_LINES = 2000


@dataclass(frozen=True)
class Place:
    name: str
    lon: float
    lat: float
    kind: str  # "site" or "district"


def places_for(survey: Survey) -> list[Place]:
    """Sites and districts inside the project's area, for the keyboard's list of places."""
    perimeter = survey.project.perimeter
    sites = Site.objects.filter(location__coveredby=perimeter).order_by("name")
    places = [Place(s.name, s.location.x, s.location.y, "site") for s in sites]
    districts = (
        Area.objects.filter(kind=Area.Kind.DISTRICT, geometry__intersects=perimeter)
        .annotate(inner=PointOnSurface("geometry"))
        .order_by("name")
    )
    for d in districts:
        if perimeter.covers(d.inner):
            places.append(Place(d.name, d.inner.x, d.inner.y, "district"))
    return places


def answers_from_post(
    questions: list[Question], data: QueryDict, places: list[Place]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The answers in the API's form, and errors of the form's own syntax (per question)."""
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    by_name = {p.name.casefold(): p for p in places}
    for q in questions:
        key = f"q{q.pk}"
        try:
            if q.kind == Question.Kind.MULTIPLE:
                answers[key] = data.getlist(key)
            elif q.kind == Question.Kind.RANKING:
                answers[key] = _ranking(q, data)
            elif q.is_map:
                answers[key] = features_from_text(data.get(key, ""), q.kind, by_name)
            else:
                answers[key] = data.get(key, "")
        except ValidationError as exc:
            errors[key] = exc.messages
    return answers, errors


def _ranking(question: Question, data: QueryDict) -> list[str]:
    ranked: list[tuple[int, str]] = []
    for choice in question.choices.all():
        raw = data.get(f"q{question.pk}_c{choice.pk}", "").strip()
        if raw:
            if not raw.isdigit():
                raise ValidationError(_("Give each rank as a number."))
            ranked.append((int(raw), str(choice.pk)))
    ranks = [r for r, _pk in ranked]
    if len(set(ranks)) != len(ranks):
        raise ValidationError(_("Give each rank only once."))
    return [pk for _r, pk in sorted(ranked)]


def features_from_text(text: str, kind: str, places: Mapping[str, Place]) -> list[dict[str, Any]]:
    """Features (API form) from the text box; a line that names nothing is an error."""
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("Too many lines."))
    groups: list[list[tuple[list[float], str]]] = [[]]
    problems = []
    for number, raw in enumerate(lines, start=1):
        entry, _sep, comment = raw.partition("|")
        entry = entry.strip()
        if not entry:
            if groups[-1]:
                groups.append([])
            continue
        match = _COORDINATES.match(entry)
        if match:
            lon, lat = (float(v.replace(",", ".")) for v in match.groups())
            position = [lon, lat]
        elif entry.casefold() in places:
            place = places[entry.casefold()]
            position = [place.lon, place.lat]
        else:
            problems.append(
                _("Line %(n)d: “%(text)s” is neither coordinates nor a place of the list.")
                % {"n": number, "text": entry[:80]}
            )
            continue
        groups[-1].append((position, comment.strip()))
    if problems:
        raise ValidationError(problems)
    groups = [g for g in groups if g]
    if kind == Question.Kind.POINT:
        # Every line is a point of its own.
        return [_feature("Point", pos, comment) for g in groups for pos, comment in g]
    features = []
    for g in groups:
        positions = [pos for pos, _c in g]
        comment = next((c for _p, c in g if c), "")
        if kind == Question.Kind.LINE:
            features.append(_feature("LineString", positions, comment))
        else:
            features.append(_feature("Polygon", [positions], comment))
    return features


def _feature(kind: str, coordinates: Any, comment: str) -> dict[str, Any]:
    return {"geometry": {"type": kind, "coordinates": coordinates}, "comment": comment}


def text_from_features(features: list[dict[str, Any]]) -> str:
    """The text box's content for stored features (editing one's answer)."""
    blocks = []
    for f in features:
        geometry = f["geometry"]
        if geometry["type"] == "Point":
            positions = [geometry["coordinates"]]
        elif geometry["type"] == "LineString":
            positions = geometry["coordinates"]
        else:
            positions = geometry["coordinates"][0][:-1]
        rows = [f"{x:.6f}, {y:.6f}" for x, y in positions]
        if f.get("comment"):
            rows[0] += f" | {f['comment']}"
        blocks.append("\n".join(rows))
    separator = "\n" if features and features[0]["geometry"]["type"] == "Point" else "\n\n"
    return separator.join(blocks)
