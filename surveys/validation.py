"""Checking one submitted answer set against a survey's questions, field by field.

Everything a respondent sends is checked here before anything is stored; the services call
`clean_answers` and store only its result. Errors are keyed `q<question id>`, one list of
translated messages per question, so forms and the API show them next to the question.
Geometry goes through geo.validation (ranges, validity); perimeter, length and area are
asked of PostGIS in the metric CRS (EPSG:25832).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, LineString, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from geo.crs import METRIC_SRID
from geo.validation import as_storage_multipolygon, point_from_lonlat
from surveys.models import Question, Survey

# Hard caps, whatever a question allows: a flood of features or vertices is refused before
# any geometry is built.
MAX_FEATURES = 50
MAX_VERTICES = 500
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
COMMENT_MAX = 500


@dataclass
class CleanFeature:
    geometry: GEOSGeometry
    comment: str = ""


@dataclass
class CleanAnswer:
    question: Question
    text: str = ""
    number: float | None = None
    choice_ids: list[int] = field(default_factory=list)
    features: list[CleanFeature] = field(default_factory=list)


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def visible_questions(
    questions: Sequence[Question], given: Mapping[int, CleanAnswer]
) -> list[Question]:
    """The questions shown for these answers: a conditional one only after its trigger answer."""
    shown: set[int] = set()
    result = []
    for q in questions:
        if q.show_if_question_id is not None:
            trigger = given.get(q.show_if_question_id)
            if (
                q.show_if_question_id not in shown
                or trigger is None
                or q.show_if_choice_id not in trigger.choice_ids
            ):
                continue
        shown.add(q.pk)
        result.append(q)
    return result


def clean_answers(
    survey: Survey, questions: Sequence[Question], raw: Mapping[Any, Any]
) -> dict[int, CleanAnswer]:
    """The answers to store, by question id, or a ValidationError naming every bad field.

    `raw` maps question ids (int or str) to the value in the API's form (see each cleaner).
    Answers to questions that are not shown (their condition unmet) are dropped; unknown
    question ids are refused.
    """
    errors: dict[str, list[str]] = {}
    by_id = {q.pk: q for q in questions}
    values: dict[int, Any] = {}
    for key, value in raw.items():
        try:
            qid = int(str(key).removeprefix("q"))
        except ValueError:
            qid = -1
        if qid not in by_id:
            errors.setdefault("answers", []).append(
                _("%(key)s is not a question of this survey.") % {"key": key}
            )
            continue
        values[qid] = value
    cleaned: dict[int, CleanAnswer] = {}
    # In order, so a condition sees the cleaned answer to its (earlier) trigger question.
    for question in questions:
        value = values.get(question.pk)
        if is_empty(value):
            continue
        try:
            cleaned[question.pk] = _clean_one(survey, question, value)
        except ValidationError as exc:
            errors.setdefault(field_name(question), []).extend(exc.messages)
    shown = visible_questions(questions, cleaned)
    shown_ids = {q.pk for q in shown}
    for question in shown:
        if question.required and question.pk not in cleaned and field_name(question) not in errors:
            errors[field_name(question)] = [_("Please answer this question.")]
    if errors:
        raise ValidationError(errors)
    return {qid: answer for qid, answer in cleaned.items() if qid in shown_ids}


def _clean_one(survey: Survey, question: Question, value: Any) -> CleanAnswer:
    kind = question.kind
    if kind in Question.TEXT_KINDS:
        return CleanAnswer(question, text=_clean_text(question, value))
    if kind == Question.Kind.NUMBER:
        return CleanAnswer(question, number=_clean_number(question, value))
    if kind == Question.Kind.SCALE:
        return CleanAnswer(question, number=_clean_scale(question, value))
    if kind in Question.CHOICE_KINDS:
        return CleanAnswer(question, choice_ids=_clean_choices(question, value))
    return CleanAnswer(question, features=_clean_features(survey, question, value))


def _clean_text(question: Question, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    text = value.strip()
    limit = SHORT_TEXT_MAX if question.kind == Question.Kind.SHORT_TEXT else LONG_TEXT_MAX
    if len(text) > limit:
        raise ValidationError(
            _("At most %(max)d characters, please (you wrote %(n)d).")
            % {"max": limit, "n": len(text)}
        )
    if "\x00" in text:
        raise ValidationError(_("The text contains a character that is not allowed."))
    return text


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."))
    try:
        number = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a number.")) from None
    if not math.isfinite(number):
        raise ValidationError(_("Enter a number."))
    return number


def _clean_number(question: Question, value: Any) -> float:
    number = _as_number(value)
    if question.number_min is not None and number < question.number_min:
        raise ValidationError(
            _("The number must be at least %(min)s.") % {"min": _fmt(question.number_min)}
        )
    if question.number_max is not None and number > question.number_max:
        raise ValidationError(
            _("The number must be at most %(max)s.") % {"max": _fmt(question.number_max)}
        )
    return number


def _clean_scale(question: Question, value: Any) -> float:
    number = _as_number(value)
    low, high = question.scale_min or 0, question.scale_max or 5
    if number != int(number) or not low <= number <= high:
        raise ValidationError(
            _("Choose a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return number


def _clean_choices(question: Question, value: Any) -> list[int]:
    valid = [c.pk for c in question.choices.all()]
    if question.kind == Question.Kind.SINGLE:
        items = value if isinstance(value, list) else [value]
        if len(items) != 1:
            raise ValidationError(_("Choose one answer."))
    else:
        if not isinstance(value, list):
            raise ValidationError(_("Send the chosen answers as a list."))
        items = value
    try:
        ids = [int(str(item)) for item in items]
    except ValueError:
        raise ValidationError(_("This is not one of the answers offered.")) from None
    if any(pk not in valid for pk in ids):
        raise ValidationError(_("This is not one of the answers offered."))
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Each answer may be chosen only once."))
    if question.kind == Question.Kind.SINGLE:
        return ids
    # Ranking: everything offered unless the question asks for a top-N.
    default_min = len(valid) if question.kind == Question.Kind.RANKING else 1
    least = question.min_count if question.min_count is not None else default_min
    most = question.max_count if question.max_count is not None else len(valid)
    _check_count(len(ids), least, most, question)
    return ids


def _check_count(n: int, least: int, most: int, question: Question) -> None:
    if question.kind == Question.Kind.MULTIPLE:
        few, many = (
            _("Choose at least %(min)d answers (you chose %(n)d)."),
            _("Choose at most %(max)d answers (you chose %(n)d)."),
        )
    elif question.kind == Question.Kind.RANKING:
        few, many = (
            _("Rank at least %(min)d answers (you ranked %(n)d)."),
            _("Rank at most %(max)d answers (you ranked %(n)d)."),
        )
    else:
        few, many = (
            _("Draw at least %(min)d features (you drew %(n)d)."),
            _("Draw at most %(max)d features (you drew %(n)d)."),
        )
    if n < least:
        raise ValidationError(few % {"min": least, "n": n})
    if n > most:
        raise ValidationError(many % {"max": most, "n": n})


# ---- Map answers ---------------------------------------------------------------------------

_GEOMETRY_TYPE = {
    Question.Kind.POINT: "Point",
    Question.Kind.LINE: "LineString",
    Question.Kind.AREA: "Polygon",
}


def _clean_features(survey: Survey, question: Question, value: Any) -> list[CleanFeature]:
    if not isinstance(value, list):
        raise ValidationError(_("Send the drawn features as a list."))
    if len(value) > MAX_FEATURES:
        raise ValidationError(
            _("Draw at most %(max)d features (you drew %(n)d).")
            % {"max": min(question.max_count or MAX_FEATURES, MAX_FEATURES), "n": len(value)}
        )
    least = question.min_count if question.min_count is not None else 1
    most = min(question.max_count or MAX_FEATURES, MAX_FEATURES)
    _check_count(len(value), least, most, question)
    messages: list[str] = []
    features: list[CleanFeature] = []
    for index, item in enumerate(value, start=1):
        try:
            features.append(_clean_feature(question, item))
        except ValidationError as exc:
            messages += [
                _("Feature %(n)d: %(message)s") % {"n": index, "message": m} for m in exc.messages
            ]
    if messages:
        raise ValidationError(messages)
    messages = _check_in_postgis(survey, question, features)
    if messages:
        raise ValidationError(messages)
    return features


def _clean_feature(question: Question, item: Any) -> CleanFeature:
    if not isinstance(item, dict) or not isinstance(item.get("geometry"), dict):
        raise ValidationError(_("Each feature needs a geometry."))
    comment = item.get("comment") or ""
    if not isinstance(comment, str):
        raise ValidationError(_("The comment must be text."))
    comment = comment.strip()
    if comment and not question.feature_comment:
        raise ValidationError(_("This question takes no comments on drawn features."))
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            _("The comment may have at most %(max)d characters.") % {"max": COMMENT_MAX}
        )
    return CleanFeature(geometry_from_geojson(item["geometry"], question.kind), comment)


def geometry_from_geojson(data: Mapping[str, Any], kind: str) -> GEOSGeometry:
    """A GeoJSON geometry (EPSG:4326) of the type a map question asks for.

    Built from the numbers, not handed to GDAL as text: the type, the nesting and the number
    of vertices are checked first, every coordinate through geo.validation's range check.
    """
    expected = _GEOMETRY_TYPE[Question.Kind(kind)]
    if data.get("type") != expected:
        raise ValidationError(
            {
                Question.Kind.POINT: _("Expected a point."),
                Question.Kind.LINE: _("Expected a line."),
                Question.Kind.AREA: _("Expected an area (polygon)."),
            }[Question.Kind(kind)]
        )
    coordinates = data.get("coordinates")
    if kind == Question.Kind.POINT:
        return _position(coordinates)
    if kind == Question.Kind.LINE:
        points = _positions(coordinates)
        if len(points) < 2 or len({(p.x, p.y) for p in points}) < 2:
            raise ValidationError(_("A line needs at least two different places."))
        return LineString(points, srid=4326)
    if not isinstance(coordinates, list) or len(coordinates) != 1:
        raise ValidationError(_("An area is one outline without holes."))
    ring = _positions(coordinates[0])
    if len(ring) >= 3 and (ring[0].x, ring[0].y) != (ring[-1].x, ring[-1].y):
        ring.append(ring[0])  # a list of places need not repeat the first one
    if len({(p.x, p.y) for p in ring}) < 3:
        raise ValidationError(_("An area needs at least three different corners."))
    polygon = Polygon([(p.x, p.y) for p in ring], srid=4326)
    if not polygon.valid:
        # geo.validation would say so too, in GEOS's words; a respondent needs plainer ones.
        raise ValidationError(_("The outline crosses itself; draw it without crossing lines."))
    try:
        multi = as_storage_multipolygon(polygon, field="area")
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None
    return multi[0]


def _position(value: Any) -> Point:
    if not isinstance(value, list) or len(value) != 2:
        raise ValidationError(_("A position is two numbers: longitude and latitude."))
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise ValidationError(_("Longitude and latitude must be numbers."))
    try:
        return point_from_lonlat(value[0], value[1], field="position")
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None


def _positions(value: Any) -> list[Point]:
    if not isinstance(value, list):
        raise ValidationError(_("Send the positions as a list."))
    if len(value) > MAX_VERTICES:
        raise ValidationError(_("At most %(max)d positions per feature.") % {"max": MAX_VERTICES})
    return [_position(v) for v in value]


def _check_in_postgis(
    survey: Survey, question: Question, features: list[CleanFeature]
) -> list[str]:
    """Inside the perimeter, length and area in metres: one query for all features."""
    if not features:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT n, ST_CoveredBy(g, p.perimeter),
                   ST_Length(ST_Transform(g, {METRIC_SRID})),
                   ST_Area(ST_Transform(g, {METRIC_SRID}))
            FROM proposals_project p,
                 unnest(%s::bytea[]) WITH ORDINALITY AS x(wkb, n),
                 LATERAL ST_GeomFromEWKB(x.wkb) AS g
            WHERE p.id = %s ORDER BY n
            """,  # noqa: S608 -- the SRID is our constant
            [[bytes(f.geometry.ewkb) for f in features], survey.project_id],
        )
        rows = cursor.fetchall()
    messages = []
    for n, inside, length, area in rows:
        problems = []
        if not inside:
            problems.append(_("It lies (partly) outside the project's area. Stay inside it."))
        if question.max_length_m and length > question.max_length_m:
            problems.append(
                _("The line is %(length)s m long; at most %(max)s m are allowed.")
                % {"length": _fmt(round(length)), "max": _fmt(question.max_length_m)}
            )
        if question.max_area_m2 and area > question.max_area_m2:
            problems.append(
                _("The area is %(area)s m²; at most %(max)s m² are allowed.")
                % {"area": _fmt(round(area)), "max": _fmt(question.max_area_m2)}
            )
        messages += [_("Feature %(n)d: %(message)s") % {"n": n, "message": p} for p in problems]
    return messages


def _fmt(value: float) -> str:
    """A limit in the message's language: "200.000" and "2,5" in German, "200,000" and "2.5"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return number_format(value, force_grouping=True)
