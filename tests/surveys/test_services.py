"""Answering a survey: each question type's checks and limits, field by field, nothing stored."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from audit.models import AuditEntry
from surveys.models import Answer, MapFeature, Question, Response
from surveys.services import (
    paper_response_record,
    question_delete,
    question_update,
    questions_reorder,
    response_submit,
)
from tests.factories import UserFactory
from tests.surveys.helpers import FAR, A, B, C, add, area, build_survey, line, point, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The messages are checked in English here; test_german checks the translation.
    with translation.override("en"):
        yield


def refusal(survey, user, answers, **kw):
    with pytest.raises(ValidationError) as info:
        response_submit(survey=survey, user=user, answers=answers, **kw)
    assert Response.objects.count() == 0, "nothing may be stored on error"
    assert Answer.objects.count() == 0 and MapFeature.objects.count() == 0
    return info.value.message_dict


def test_every_type_is_stored(citizen):
    s = build_survey()
    single = add(s, "single", choices=["Bus", "Rad", "Auto"])
    multi = add(s, "multiple", choices=["a", "b", "c"], min_count=1, max_count=2)
    short = add(s, "short_text")
    long = add(s, "long_text")
    number = add(s, "number", number_min=0, number_max=120)
    scale = add(s, "scale", scale_min=0, scale_max=10, scale_min_label="schlecht")
    rank = add(s, "ranking", choices=["x", "y", "z"])
    pts = add(s, "point", max_count=3, feature_comment=True)
    route = add(s, "line", max_length_m=5000)
    zone = add(s, "area", max_area_m2=10_000_000)
    publish(s)
    c = {q.pk: [ch.pk for ch in q.choices.all()] for q in (single, multi, rank)}
    response_submit(
        survey=s,
        user=citizen,
        answers={
            single.pk: c[single.pk][1],
            f"q{multi.pk}": c[multi.pk][:2],
            short.pk: " kurz ",
            long.pk: "lang " * 50,
            number.pk: "42,5",
            scale.pk: 7,
            rank.pk: list(reversed(c[rank.pk])),
            pts.pk: [point(A, "Hier fehlen Bügel"), point(B)],
            route.pk: [line(A, B, C)],
            zone.pk: [area(A, B, C)],
        },
    )
    response = Response.objects.get()
    assert response.user == citizen
    by_q = {a.question_id: a for a in response.answers.all()}
    assert by_q[single.pk].choice_ids == [c[single.pk][1]]
    assert by_q[short.pk].text == "kurz"
    assert by_q[number.pk].number == 42.5
    assert by_q[rank.pk].choice_ids == list(reversed(c[rank.pk]))
    features = MapFeature.objects.filter(response=response)
    assert features.filter(question=pts, point__isnull=False).count() == 2
    assert features.get(question=route).line.num_points == 3
    assert features.get(question=zone).area.num_points == 4  # closed ring
    assert features.filter(comment="Hier fehlen Bügel").count() == 1


def test_choice_limits(citizen):
    s = build_survey()
    single = add(s, "single", choices=["a", "b"])
    multi = add(s, "multiple", choices=["a", "b", "c", "d"], min_count=2, max_count=3)
    rank = add(s, "ranking", choices=["x", "y", "z"], min_count=2)
    other = add(s, "single", choices=["o", "p"])
    publish(s)
    ids = [ch.pk for ch in multi.choices.all()]
    errors = refusal(
        s,
        citizen,
        {
            single.pk: [ch.pk for ch in single.choices.all()],
            multi.pk: ids[:1],
            rank.pk: [rank.choices.first().pk],
            other.pk: ids[0],  # an answer of another question
        },
    )
    assert errors[f"q{single.pk}"] == ["Choose one answer."]
    assert errors[f"q{multi.pk}"] == ["Choose at least 2 answers (you chose 1)."]
    assert errors[f"q{rank.pk}"] == ["Rank at least 2 answers (you ranked 1)."]
    assert errors[f"q{other.pk}"] == ["This is not one of the answers offered."]
    errors = refusal(s, citizen, {multi.pk: ids, rank.pk: [ids[0], ids[0]]})
    assert errors[f"q{multi.pk}"] == ["Choose at most 3 answers (you chose 4)."]
    assert errors[f"q{rank.pk}"] == ["This is not one of the answers offered."]


def test_text_number_and_scale_limits(citizen):
    s = build_survey()
    short = add(s, "short_text")
    number = add(s, "number", number_min=0, number_max=10)
    scale = add(s, "scale", scale_min=1, scale_max=5)
    publish(s)
    errors = refusal(s, citizen, {short.pk: "x" * 201, number.pk: 11, scale.pk: 0})
    assert errors[f"q{short.pk}"] == ["At most 200 characters, please (you wrote 201)."]
    assert errors[f"q{number.pk}"] == ["The number must be at most 10."]
    assert errors[f"q{scale.pk}"] == ["Choose a whole number from 1 to 5."]
    errors = refusal(s, citizen, {number.pk: "NaN", scale.pk: 2.5, short.pk: 5})
    assert errors[f"q{number.pk}"] == ["Enter a number."]
    assert errors[f"q{scale.pk}"] == ["Choose a whole number from 1 to 5."]
    assert errors[f"q{short.pk}"] == ["Enter text."]


def test_required_and_conditional_questions(citizen):
    s = build_survey()
    mode = add(s, "single", choices=["Rad", "Auto"], required=True)
    rad, auto = mode.choices.all()
    why = add(s, "long_text", required=True, show_if_question=mode, show_if_choice=rad)
    publish(s)
    errors = refusal(s, citizen, {})
    assert errors == {f"q{mode.pk}": ["Please answer this question."]}
    errors = refusal(s, citizen, {mode.pk: rad.pk})
    assert errors == {f"q{why.pk}": ["Please answer this question."]}
    # Not shown after "Auto": not required, and an answer to it is dropped.
    response_submit(survey=s, user=citizen, answers={mode.pk: auto.pk, why.pk: "egal"})
    assert list(Answer.objects.values_list("question_id", flat=True)) == [mode.pk]


def test_map_counts_perimeter_and_geometry(citizen):
    s = build_survey()
    pts = add(s, "point", min_count=2, max_count=3)
    route = add(s, "line", max_length_m=300)
    zone = add(s, "area", max_area_m2=100_000)
    publish(s)
    errors = refusal(s, citizen, {pts.pk: [point(A)] * 4})
    assert errors[f"q{pts.pk}"] == ["Draw at most 3 features (you drew 4)."]
    errors = refusal(s, citizen, {pts.pk: [point(A)]})
    assert errors[f"q{pts.pk}"] == ["Draw at least 2 features (you drew 1)."]
    errors = refusal(s, citizen, {pts.pk: [point(A), point(FAR)]})
    assert errors[f"q{pts.pk}"] == [
        "Feature 2: It lies (partly) outside the project's area. Stay inside it."
    ]
    errors = refusal(s, citizen, {route.pk: [line(A, B)], zone.pk: [area(A, B, C)]})
    assert errors[f"q{route.pk}"][0].startswith("Feature 1: The line is 529 m long; at most 300")
    assert errors[f"q{zone.pk}"][0].startswith("Feature 1: The area is ")
    bowtie = area([7.75, 49.435], [7.76, 49.44], [7.76, 49.435], [7.75, 49.44])
    errors = refusal(s, citizen, {zone.pk: [bowtie]})
    assert errors[f"q{zone.pk}"] == [
        "Feature 1: The outline crosses itself; draw it without crossing lines."
    ]
    errors = refusal(
        s,
        citizen,
        {
            pts.pk: [point([200, 49.4]), {"geometry": {"type": "LineString", "coordinates": []}}],
            route.pk: [line(A, A)],
        },
    )
    assert errors[f"q{pts.pk}"] == [
        "Feature 1: Longitude must lie between -180 and 180 and latitude between -90 and 90.",
        "Feature 2: Expected a point.",
    ]
    assert errors[f"q{route.pk}"] == ["Feature 1: A line needs at least two different places."]


def test_comments_only_where_asked_and_vertex_cap(citizen):
    s = build_survey()
    pts = add(s, "point")
    route = add(s, "line")
    publish(s)
    errors = refusal(s, citizen, {pts.pk: [point(A, "Kommentar")], route.pk: [line(*[A] * 501)]})
    assert errors[f"q{pts.pk}"] == ["Feature 1: This question takes no comments on drawn features."]
    assert errors[f"q{route.pk}"] == ["Feature 1: At most 500 positions per feature."]


def test_closed_or_unopened_survey_refuses(citizen):
    now = timezone.now()
    s = build_survey(opens_at=now - timedelta(days=5), closes_at=now - timedelta(days=1))
    q = add(s, "short_text")
    publish(s)
    with pytest.raises(PermissionDenied, match="closed"):
        response_submit(survey=s, user=citizen, answers={q.pk: "spät"})
    assert Response.objects.count() == 0


def test_accounts_only_and_browser_answers(citizen):
    s = build_survey()
    q = add(s, "short_text")
    publish(s)
    with pytest.raises(PermissionDenied, match="sign in"):
        response_submit(survey=s, user=AnonymousUser(), answers={q.pk: "x"})
    s.audience = "anyone"
    s.save()
    token = "t" * 32
    response_submit(survey=s, user=AnonymousUser(), answers={q.pk: "eins"}, browser_token=token)
    response_submit(survey=s, user=AnonymousUser(), answers={q.pk: "zwei"}, browser_token=token)
    response = Response.objects.get()  # the same browser changed its answer
    assert response.browser_key != token and response.user is None
    assert response.answers.get().text == "zwei"
    with pytest.raises(ValidationError):
        response_submit(survey=s, user=AnonymousUser(), answers={q.pk: "x"}, browser_token="")


def test_answered_questions_refuse_breaking_changes(citizen):
    s = build_survey()
    q = add(s, "multiple", choices=["a", "b", "c"], max_count=3)
    publish(s)
    response_submit(survey=s, user=citizen, answers={q.pk: [q.choices.first().pk]})
    with pytest.raises(ValidationError) as info:
        question_update(actor=s._actor, question=q, kind="single", choices=["a", "b"])
    message = info.value.message_dict["question"][0]
    assert "The question type cannot change." in message
    assert "Answers offered cannot be removed" in message
    # Renaming and adding are fine.
    question_update(actor=s._actor, question=q, text="Neu?", choices=["A", "b", "c", "d"])
    assert list(q.choices.values_list("label", flat=True)) == ["A", "b", "c", "d"]
    with pytest.raises(ValidationError, match="can no longer be deleted"):
        question_delete(actor=s._actor, question=q)


def test_reorder_keeps_conditions_after_their_trigger():
    s = build_survey()
    a = add(s, "single", choices=["ja", "nein"])
    b = add(s, "short_text", show_if_question=a, show_if_choice=a.choices.first())
    c = add(s, "number")
    with pytest.raises(ValidationError, match="must stay after"):
        questions_reorder(actor=s._actor, survey=s, order=[b.pk, a.pk, c.pk])
    questions_reorder(actor=s._actor, survey=s, order=[c.pk, a.pk, b.pk])
    assert list(s.questions.values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]


def test_citizen_cannot_build(citizen):
    s = build_survey()
    with pytest.raises(PermissionDenied):
        add_as(s, citizen)


def add_as(survey, user):
    from surveys.services import question_create

    return question_create(actor=user, survey=survey, kind="number", text="?")


def test_paper_responses_are_audited_and_corrected():
    s = build_survey()
    q = add(s, "single", choices=["Rad", "Bus"])
    publish(s)
    rad, bus = q.choices.all()
    first = paper_response_record(
        actor=s._actor, survey=s, event_name="Stadtfest", event_date=date(2026, 6, 1),
        answers={q.pk: rad.pk},
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        paper_response_record(
            actor=s._actor, survey=s, event_name="Stadtfest", event_date=date(2026, 6, 1),
            answers={q.pk: bus.pk}, supersedes=first,
        )  # fmt: skip
    assert "correction_reason" in info.value.message_dict
    second = paper_response_record(
        actor=s._actor, survey=s, event_name="Stadtfest", event_date=date(2026, 6, 1),
        answers={q.pk: bus.pk}, supersedes=first, correction_reason="Falsch abgetippt",
    )  # fmt: skip
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    entry = AuditEntry.objects.get(action="survey.paper.correct")
    assert entry.before["answers"] == {f"q{q.pk}": rad.pk}
    assert entry.after["answers"] == {f"q{q.pk}": bus.pk}
    assert entry.reason == "Falsch abgetippt"
    with pytest.raises(PermissionDenied):
        paper_response_record(
            actor=UserFactory(), survey=s, event_name="x", event_date=date(2026, 6, 1), answers={}
        )


def test_own_answers_in_data_export_and_gone_with_account(citizen):
    from accounts.personal_data import parts

    s = build_survey()
    q = add(s, "point")
    publish(s)
    response_submit(survey=s, user=citizen, answers={q.pk: [point(A)]})
    part = next(p for p in parts() if p.app_label == "surveys")
    exported = part.export(citizen)["survey_responses"]
    assert exported[0]["answers"][f"q{q.pk}"][0]["geometry"]["coordinates"] == A
    part.erase(citizen)
    assert Response.objects.count() == 0 and MapFeature.objects.count() == 0
    assert Question.objects.filter(pk=q.pk).exists()
