"""Write use cases of surveys: building and publishing them, answering, paper questionnaires.

Each validates, checks its rule (surveys.rules), and stores all or nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Person, signed_in
from audit.services import log_action
from proposals.models import Project
from surveys import rules
from surveys.models import Answer, Choice, MapFeature, Question, Response, Survey
from surveys.validation import CleanAnswer, clean_answers

# Question fields a planner sets; `choices` (a list of labels) is handled apart.
QUESTION_FIELDS = (
    "kind",
    "text",
    "help_text",
    "required",
    "min_count",
    "max_count",
    "scale_min",
    "scale_max",
    "scale_min_label",
    "scale_max_label",
    "number_min",
    "number_max",
    "max_length_m",
    "max_area_m2",
    "feature_comment",
    "is_home_location",
    "show_if_question",
    "show_if_choice",
)
SURVEY_FIELDS = (
    "title",
    "slug",
    "intro",
    "opens_at",
    "closes_at",
    "audience",
    "results_visibility",
    "grid_size_m",
    "min_cell_count",
)


def _lock(survey: Survey) -> None:
    """Lock the survey row and read it again into the caller's object (what it shows is current)."""
    list(Survey.objects.select_for_update().filter(pk=survey.pk).values_list("pk"))
    survey.refresh_from_db()


def _refusal(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


# ---- Building a survey ---------------------------------------------------------------------


@transaction.atomic
def survey_create(*, actor: Person, project: Project, **values: Any) -> Survey:
    rules.may_manage_surveys.enforce(actor, project)
    unknown = set(values) - set(SURVEY_FIELDS) - {"is_demo"}
    if unknown:
        raise TypeError(f"Unknown survey fields: {sorted(unknown)}")
    survey = Survey(project=project, **values)
    survey.full_clean()
    survey.save()
    log_action(actor=actor, action="survey.create", obj=survey, project=project)
    return survey


@transaction.atomic
def survey_update(*, actor: Person, survey: Survey, **values: Any) -> Survey:
    rules.may_manage_surveys.enforce(actor, survey.project)
    _lock(survey)
    if survey.responses.exists() and "audience" in values and values["audience"] != survey.audience:
        raise _refusal(
            "audience",
            _("Answers exist: who may answer can no longer change, or they would count unequally."),
            "answers_exist",
        )
    for key, value in values.items():
        if key not in SURVEY_FIELDS:
            raise TypeError(f"Unknown survey field {key!r}")
        setattr(survey, key, value)
    survey.full_clean()
    survey.save()
    log_action(actor=actor, action="survey.update", obj=survey, project=survey.project)
    return survey


@transaction.atomic
def survey_publish(*, actor: Person, survey: Survey, now: datetime | None = None) -> Survey:
    rules.may_manage_surveys.enforce(actor, survey.project)
    _lock(survey)
    if survey.is_published:
        raise _refusal("survey", _("The survey is already published."), "published")
    questions = list(survey.questions.prefetch_related("choices"))
    if not questions:
        raise _refusal("survey", _("A survey needs at least one question."), "empty")
    empty = [q.text for q in questions if q.has_choices and len(q.choices.all()) < 2]
    if empty:
        raise _refusal(
            "survey",
            _("These questions need at least two answers to choose from: %(q)s")
            % {"q": "; ".join(empty)},
            "no_choices",
        )
    survey.is_published = True
    survey.published_at = now or timezone.now()
    survey.save(update_fields=["is_published", "published_at"])
    log_action(actor=actor, action="survey.publish", obj=survey, project=survey.project)
    return survey


@transaction.atomic
def question_create(
    *, actor: Person, survey: Survey, choices: Sequence[str] = (), **values: Any
) -> Question:
    rules.may_manage_surveys.enforce(actor, survey.project)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    last = survey.questions.order_by("-position").values_list("position", flat=True).first()
    question = Question(survey=survey, position=(last or 0) + 1)
    _assign(question, values)
    _check_question(question, list(choices))
    question.save()
    _set_choices(question, list(choices))
    log_action(
        actor=actor,
        action="survey.question.create",
        obj=question,
        project=survey.project,
        after=_question_snapshot(question),
    )
    return question


@transaction.atomic
def question_update(
    *, actor: Person, question: Question, choices: Sequence[str] | None = None, **values: Any
) -> Question:
    """Change a question; once answers exist, changes that would break them are refused."""
    rules.may_manage_surveys.enforce(actor, question.survey.project)
    # The survey row is locked: a first answer cannot arrive between the check and the save.
    Survey.objects.select_for_update().get(pk=question.survey_id)
    question = Question.objects.get(pk=question.pk)
    before = _question_snapshot(question)
    old = {f: getattr(question, f) for f in QUESTION_FIELDS}
    old_choice_count = question.choices.count()
    _assign(question, values)
    labels = list(choices) if choices is not None else None
    if _has_answers(question):
        reasons = _breaking_changes(question, old, old_choice_count, labels)
        if reasons:
            raise ValidationError(
                {
                    "question": [
                        _("Answers to this question exist already; this change would break them:")
                        + " "
                        + " ".join(reasons)
                    ]
                },
                code="answers_exist",
            )
    _check_question(question, labels if labels is not None else ["x", "y"])
    question.save()
    if labels is not None:
        _set_choices(question, labels)
    log_action(
        actor=actor,
        action="survey.question.update",
        obj=question,
        project=question.survey.project,
        before=before,
        after=_question_snapshot(question),
    )
    return question


@transaction.atomic
def question_delete(*, actor: Person, question: Question) -> None:
    rules.may_manage_surveys.enforce(actor, question.survey.project)
    Survey.objects.select_for_update().get(pk=question.survey_id)
    if _has_answers(question):
        raise _refusal(
            "question",
            _("Answers to this question exist already; it can no longer be deleted."),
            "answers_exist",
        )
    if question.dependents.exists():
        raise _refusal(
            "question",
            _("Other questions are shown depending on this one; change them first."),
            "has_dependents",
        )
    log_action(
        actor=actor,
        action="survey.question.delete",
        obj=question,
        project=question.survey.project,
        before=_question_snapshot(question),
    )
    question.delete()


@transaction.atomic
def questions_reorder(*, actor: Person, survey: Survey, order: Sequence[int]) -> None:
    """Put the questions in this order (all ids of the survey, each once)."""
    rules.may_manage_surveys.enforce(actor, survey.project)
    Survey.objects.select_for_update().get(pk=survey.pk)
    questions = {q.pk: q for q in survey.questions.all()}
    if sorted(order) != sorted(questions):
        raise _refusal("order", _("List every question of the survey exactly once."), "invalid")
    for position, pk in enumerate(order, start=1):
        question = questions[pk]
        trigger = question.show_if_question_id
        if trigger is not None and list(order).index(trigger) >= position - 1:
            raise _refusal(
                "order",
                _("“%(q)s” depends on an earlier question and must stay after it.")
                % {"q": question.text},
                "condition_order",
            )
    for position, pk in enumerate(order, start=1):
        Question.objects.filter(pk=pk).update(position=position)
    log_action(
        actor=actor,
        action="survey.questions.reorder",
        obj=survey,
        project=survey.project,
        after={"order": list(order)},
    )


def _assign(question: Question, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if key not in QUESTION_FIELDS:
            raise TypeError(f"Unknown question field {key!r}")
        setattr(question, key, value)


def _check_question(question: Question, labels: list[str]) -> None:
    errors: dict[str, list[str]] = {}
    kind = question.kind
    if kind in Question.CHOICE_KINDS and len([x for x in labels if x.strip()]) < 2:
        errors["choices"] = [_("Offer at least two answers to choose from.")]
    if kind == Question.Kind.SCALE:
        if question.scale_min is None:
            question.scale_min = 1
        if question.scale_max is None:
            question.scale_max = 5
    if question.is_home_location and kind != Question.Kind.POINT:
        errors["is_home_location"] = [_("Only a point question can ask for a home location.")]
    if question.feature_comment and kind not in Question.MAP_KINDS:
        errors["feature_comment"] = [_("Only map questions take a comment per feature.")]
    if question.max_length_m and kind != Question.Kind.LINE:
        errors["max_length_m"] = [_("Only a line question has a maximum length.")]
    if question.max_area_m2 and kind != Question.Kind.AREA:
        errors["max_area_m2"] = [_("Only an area question has a maximum area.")]
    if question.show_if_question_id is not None:
        trigger = question.show_if_question
        assert trigger is not None  # noqa: S101
        if trigger.survey_id != question.survey_id or (
            question.pk is not None and trigger.position >= question.position
        ):
            errors["show_if_question"] = [_("The condition must be an earlier question.")]
        elif trigger.kind not in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            errors["show_if_question"] = [
                _("A condition can only refer to a single or multiple choice question.")
            ]
        elif question.show_if_choice is None or question.show_if_choice.question_id != trigger.pk:
            errors["show_if_choice"] = [_("Choose one of that question's answers.")]
    try:
        question.full_clean(exclude=["survey"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _set_choices(question: Question, labels: list[str]) -> None:
    """Keep choices by position (their ids stay, so answers keep pointing at them)."""
    labels = [x.strip() for x in labels if x.strip()]
    existing = list(question.choices.order_by("position", "pk"))
    for position, label in enumerate(labels, start=1):
        if position <= len(existing):
            choice = existing[position - 1]
            if (choice.label, choice.position) != (label, position):
                choice.label, choice.position = label, position
                choice.full_clean()
                choice.save()
        else:
            Choice(question=question, label=label, position=position).save()
    for choice in existing[len(labels) :]:
        choice.delete()


def _has_answers(question: Question) -> bool:
    return question.answers.exists() or question.features.exists()


def _breaking_changes(
    question: Question, old: Mapping[str, Any], old_choices: int, labels: list[str] | None
) -> list[str]:
    """Why a change to an answered question would break answers (empty: it would not)."""
    reasons = []

    def tighter_min(field: str) -> bool:
        new = getattr(question, field)
        return new is not None and (old[field] is None or new > old[field])

    def tighter_max(field: str) -> bool:
        new = getattr(question, field)
        return new is not None and (old[field] is None or new < old[field])

    if question.kind != old["kind"]:
        reasons.append(_("The question type cannot change."))
    if labels is not None and len([x for x in labels if x.strip()]) < old_choices:
        reasons.append(_("Answers offered cannot be removed (they can be renamed or added)."))
    if tighter_min("min_count") or tighter_max("max_count"):
        reasons.append(_("The number of answers or features allowed cannot be narrowed."))
    if (question.scale_min, question.scale_max) != (old["scale_min"], old["scale_max"]):
        reasons.append(_("The scale cannot change."))
    if tighter_min("number_min") or tighter_max("number_max"):
        reasons.append(_("The allowed numbers cannot be narrowed."))
    if tighter_max("max_length_m") or tighter_max("max_area_m2"):
        reasons.append(_("The maximum length or area cannot be lowered."))
    if question.required and not old["required"]:
        reasons.append(_("A question cannot become required (earlier answers may lack it)."))
    if (question.show_if_question_id, question.show_if_choice_id) != (
        getattr(old["show_if_question"], "pk", None),
        getattr(old["show_if_choice"], "pk", None),
    ):
        reasons.append(_("The condition for showing the question cannot change."))
    if question.is_home_location != old["is_home_location"]:
        reasons.append(_("Whether it asks for a home location cannot change."))
    if old["feature_comment"] and not question.feature_comment:
        reasons.append(_("Comments on features cannot be switched off."))
    return reasons


def _question_snapshot(question: Question) -> dict[str, Any]:
    data = {f: getattr(question, f) for f in QUESTION_FIELDS}
    data["show_if_question"] = question.show_if_question_id
    data["show_if_choice"] = question.show_if_choice_id
    data["choices"] = list(question.choices.values_list("label", flat=True)) if question.pk else []
    return data


# ---- Answering -----------------------------------------------------------------------------


def browser_key(token: str) -> str:
    """What is stored for an anyone-survey's browser: a hash of its random token."""
    return hashlib.sha256(f"survey-browser:{token}".encode()).hexdigest()


def response_submit(
    *,
    survey: Survey,
    user: Person,
    answers: Mapping[Any, Any],
    browser_token: str | None = None,
    now: datetime | None = None,
    is_demo: bool = False,
) -> Response:
    """A person's answers, new or replacing their earlier ones while the survey is open.

    One response per person (account) or, in anyone-surveys without sign-in, per browser.
    The respondent's response is locked for the transaction (an advisory lock: it needs no
    row to exist yet), and the database's unique constraints back this up, so parallel
    submissions of one person make one response. Every answer is checked first; on any error
    nothing is stored.
    """
    rules.may_answer.enforce(user, survey, now)
    if user.is_authenticated:
        who: dict[str, Any] = {"user": user}
        lock = f"survey:{survey.pk}:user:{user.pk}"
    else:
        if not browser_token or len(browser_token) < 16:
            raise _refusal(
                "browser",
                _("Your browser must accept the survey's cookie to answer without signing in."),
                "no_token",
            )
        key = browser_key(browser_token)
        who = {"browser_key": key}
        lock = f"survey:{survey.pk}:browser:{key}"
    questions = list(
        survey.questions.select_related("show_if_question").prefetch_related("choices")
    )
    cleaned = clean_answers(survey, questions, answers)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [lock])
            response = Response.objects.filter(survey=survey, **who).first()
            if response is None:
                response = Response(survey=survey, is_demo=is_demo, **who)
                response.full_clean(validate_constraints=False, validate_unique=False)
                response.save()
            else:
                response.answers.all().delete()
                response.features.all().delete()
                response.save(update_fields=["updated_at"])
            _store_answers(response, cleaned)
    except IntegrityError:
        # Only reachable if the lock was bypassed (another process without it): the unique
        # constraint refused the second response.
        raise _refusal(
            "survey", _("You have already answered; reload the page to change it."), "duplicate"
        ) from None
    return response


def _questions(survey: Survey) -> list[Question]:
    return list(survey.questions.select_related("show_if_question").prefetch_related("choices"))


def _store_answers(response: Response, cleaned: Mapping[int, CleanAnswer]) -> None:
    answers = []
    features = []
    for qid, answer in cleaned.items():
        if answer.question.is_map:
            kind = answer.question.kind
            for f in answer.features:
                features.append(
                    MapFeature(
                        response=response,
                        question_id=qid,
                        comment=f.comment,
                        **{kind: f.geometry},  # the column named like the kind
                    )
                )
        else:
            answers.append(
                Answer(
                    response=response,
                    question_id=qid,
                    text=answer.text,
                    number=answer.number,
                    choice_ids=answer.choice_ids,
                )
            )
    Answer.objects.bulk_create(answers)
    MapFeature.objects.bulk_create(features)


def response_withdraw(*, survey: Survey, user: Person, now: datetime | None = None) -> None:
    """A signed-in person takes back their answers while the survey is open."""
    rules.may_answer.enforce(user, survey, now)
    Response.objects.filter(survey=survey, user=signed_in(user)).delete()


@transaction.atomic
def paper_response_record(
    *,
    actor: Person,
    survey: Survey,
    event_name: str,
    event_date: date,
    answers: Mapping[Any, Any],
    supersedes: Response | None = None,
    correction_reason: str = "",
) -> Response:
    """Enter one paper questionnaire, or correct an earlier entry by superseding it (audited).

    The same checks as online answers, except the dates: questionnaires from an event are
    entered afterwards. Nothing is overwritten; a correction is a new record, and the old one
    stops counting.
    """
    rules.may_record_paper_response.enforce(actor, survey)
    errors: dict[str, list[str]] = {}
    if not event_name.strip():
        errors["event_name"] = [_("Name the event where the questionnaire was filled in.")]
    if supersedes is not None:
        supersedes = Response.objects.select_for_update().get(pk=supersedes.pk)
        if supersedes.survey_id != survey.pk or supersedes.source != Response.Source.PAPER:
            errors["supersedes"] = [_("Only a paper entry of this survey can be corrected.")]
        elif not supersedes.is_current:
            errors["supersedes"] = [
                _("This entry has already been corrected; correct the latest version.")
            ]
        if not correction_reason.strip():
            errors["correction_reason"] = [_("Say why the entry is corrected.")]
    questions = list(
        survey.questions.select_related("show_if_question").prefetch_related("choices")
    )
    try:
        cleaned = clean_answers(survey, questions, answers)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
        cleaned = {}
    if errors:
        raise ValidationError(errors)
    response = Response(
        survey=survey,
        source=Response.Source.PAPER,
        event_name=event_name.strip(),
        event_date=event_date,
        recorded_by=signed_in(actor),
        supersedes=supersedes,
        correction_reason=correction_reason.strip(),
    )
    response.full_clean(validate_constraints=False)
    response.save()
    _store_answers(response, cleaned)
    if supersedes is not None:
        Response.objects.filter(pk=supersedes.pk).update(is_current=False)
    log_action(
        actor=actor,
        action="survey.paper.correct" if supersedes else "survey.paper.record",
        obj=response,
        project=survey.project,
        before=_response_snapshot(supersedes) if supersedes else None,
        after=_response_snapshot(response),
        reason=response.correction_reason,
    )
    return response


def _response_snapshot(response: Response) -> dict[str, Any]:
    return {
        "event_name": response.event_name,
        "event_date": response.event_date.isoformat() if response.event_date else None,
        "answers": response_answers(response),
    }


def response_answers(response: Response) -> dict[str, Any]:
    """A response's answers in the API's input form, keyed by `q<id>` (a copy for the person)."""
    data: dict[str, Any] = {}
    for a in response.answers.select_related("question"):
        if a.question.kind in Question.TEXT_KINDS:
            data[f"q{a.question_id}"] = a.text
        elif a.question.kind in (Question.Kind.NUMBER, Question.Kind.SCALE):
            data[f"q{a.question_id}"] = a.number
        elif a.question.kind == Question.Kind.SINGLE:
            data[f"q{a.question_id}"] = a.choice_ids[0] if a.choice_ids else None
        else:
            data[f"q{a.question_id}"] = list(a.choice_ids)
    for f in response.features.order_by("pk"):
        geometry = f.geometry
        data.setdefault(f"q{f.question_id}", []).append(
            {"geometry": _geojson(geometry), "comment": f.comment}
        )
    return data


def _geojson(geometry: Any) -> dict[str, Any]:
    return json.loads(geometry.geojson)
