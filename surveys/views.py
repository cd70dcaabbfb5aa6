"""Survey pages: answering (phone and desktop, map or keyboard), thank-you with a copy of one's
answers, public results; and in the planners' workspace the builder and the full results."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from infra.ratelimit import limit
from proposals.models import Project
from proposals.workspace.views import planner_required
from surveys import rules
from surveys.forms import answers_from_post, places_for, text_from_features
from surveys.models import Choice, Question, Response, Survey, SurveyState
from surveys.selectors import ResultFilter, response_of, survey_results, surveys_visible_to
from surveys.services import (
    QUESTION_FIELDS,
    browser_key,
    paper_response_record,
    question_create,
    question_delete,
    question_update,
    questions_reorder,
    response_answers,
    response_submit,
    survey_create,
    survey_publish,
    survey_update,
)
from surveys.validation import clean_answers

TOKEN_COOKIE = "mmk_survey"  # noqa: S105 -- a cookie name; api.v1.surveys reads the same


def _token(request: HttpRequest) -> str | None:
    return request.COOKIES.get(TOKEN_COOKIE)


def _map_config(survey: Survey) -> dict[str, Any]:
    perimeter = survey.project.perimeter
    return {
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "maxZoom": settings.MAP_TILE_MAX_ZOOM,
        "bounds": [list(perimeter.extent[:2]), list(perimeter.extent[2:])],
        "perimeter": json.loads(perimeter.geojson),
    }


def _survey(request: HttpRequest, slug: str) -> Survey:
    return get_object_or_404(surveys_visible_to(request.user), slug=slug)


def _questions(survey: Survey) -> list[Question]:
    return list(survey.questions.select_related("show_if_question").prefetch_related("choices"))


@require_http_methods(["GET", "HEAD", "POST"])
@limit("surveys")
def survey_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The questionnaire; drafts are shown to planners as a preview that cannot be sent."""
    survey = _survey(request, slug)
    questions = _questions(survey)
    places = places_for(survey)
    token = _token(request)
    errors: dict[str, list[str]] = {}
    refusal = None
    values: dict[str, Any] = {}
    own = response_of(survey, user=request.user, browser_key=browser_key(token) if token else None)
    if own is not None:
        values = response_answers(own)
    if request.method == "POST":
        answers, errors = answers_from_post(questions, request.POST, places)
        values = {**answers}
        if errors:
            # The other questions' messages too, in one round: checked, nothing stored.
            try:
                clean_answers(
                    survey, questions, {k: v for k, v in answers.items() if k not in errors}
                )
            except ValidationError as exc:
                errors = {**exc.message_dict, **errors}
        else:
            try:
                response_submit(
                    survey=survey, user=request.user, answers=answers, browser_token=token
                )
                return redirect("surveys:thanks", slug=survey.slug)
            except ValidationError as exc:
                errors = exc.message_dict
            except PermissionDenied as denied:
                refusal = str(denied)
    context = {
        "survey": survey,
        "questions": [_question_context(q, values, errors) for q in questions],
        "errors": errors,
        "refusal": refusal or rules.may_answer.reason(request.user, survey),
        "is_preview": survey.state == SurveyState.DRAFT,
        "own": own,
        "places": places,
        "map_config": _map_config(survey),
        "may_see_results": rules.may_view_survey_results(request.user, survey),
    }
    response = render(request, "surveys/survey.html", context, status=400 if errors else 200)
    if (
        survey.audience == Survey.Audience.ANYONE
        and not request.user.is_authenticated
        and not token
    ):
        # The browser's own random token: one answer per browser, only its hash is stored.
        response.set_cookie(
            TOKEN_COOKIE,
            secrets.token_urlsafe(32),
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _question_context(q: Question, values: dict[str, Any], errors: dict[str, Any]) -> dict:
    key = f"q{q.pk}"
    value = values.get(key)
    item: dict[str, Any] = {"q": q, "key": key, "errors": errors.get(key, []), "value": value}
    if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        chosen = {str(v) for v in (value if isinstance(value, list) else [value]) if v is not None}
        item["choices"] = [(c, str(c.pk) in chosen) for c in q.choices.all()]
    elif q.kind == Question.Kind.RANKING:
        order = [str(v) for v in (value or [])]
        options = list(q.choices.all())
        item["choices"] = [
            (c, order.index(str(c.pk)) + 1 if str(c.pk) in order else "") for c in options
        ]
        item["ranks"] = range(1, len(options) + 1)
    elif q.kind == Question.Kind.SCALE:
        low, high = q.scale_min or 0, q.scale_max or 5
        item["scale"] = [(n, str(value) in (str(n), f"{n}.0")) for n in range(low, high + 1)]
    elif q.is_map:
        if isinstance(value, list) and value and isinstance(value[0], dict):
            item["text"] = text_from_features(value)
        else:
            item["text"] = value if isinstance(value, str) else ""
    if isinstance(value, float) and value.is_integer():
        item["value"] = int(value)
    return item


@require_safe
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    token = _token(request)
    own = response_of(survey, user=request.user, browser_key=browser_key(token) if token else None)
    if own is None:
        return redirect("surveys:survey", slug=survey.slug)
    return render(
        request,
        "surveys/thanks.html",
        {"survey": survey, "copy": answer_copy(survey, own), "own": own,
         "may_edit": rules.may_answer(request.user, survey)},
    )  # fmt: skip


def answer_copy(survey: Survey, response: Response) -> list[tuple[Question, list[str]]]:
    """Each question with the person's answer, in words (the copy on the thank-you page)."""
    answers = response_answers(response)
    labels = {c.pk: c.label for c in Choice.objects.filter(question__survey=survey)}
    rows = []
    for q in _questions(survey):
        value = answers.get(f"q{q.pk}")
        if value in (None, "", []):
            continue
        if q.has_choices:
            ids = value if isinstance(value, list) else [value]
            words = [labels.get(int(i), "?") for i in ids]
            if q.kind == Question.Kind.RANKING:
                words = [f"{n}. {w}" for n, w in enumerate(words, start=1)]
        elif q.is_map:
            words = [
                _("%(kind)s at %(where)s")
                % {"kind": _feature_name(f["geometry"]["type"]), "where": _where(f["geometry"])}
                + (f" - {f['comment']}" if f.get("comment") else "")
                for f in value
            ]
        else:
            words = [str(int(value) if isinstance(value, float) and value.is_integer() else value)]
        rows.append((q, words))
    return rows


def _feature_name(kind: str) -> str:
    return {"Point": _("Point"), "LineString": _("Line"), "Polygon": _("Area")}.get(kind, kind)


def _where(geometry: dict[str, Any]) -> str:
    c = geometry["coordinates"]
    first = (
        c if geometry["type"] == "Point" else c[0] if geometry["type"] == "LineString" else c[0][0]
    )
    return f"{first[1]:.5f} N, {first[0]:.5f} E"


@require_safe
def results_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    rules.may_view_survey_results.enforce(request.user, survey)
    return _results(request, survey, full=False, template="surveys/results.html")


def _results(request: HttpRequest, survey: Survey, *, full: bool, template: str) -> HttpResponse:
    filters = [
        (q, list(q.choices.all()))
        for q in survey.questions.filter(kind__in=("single", "multiple")).prefetch_related(
            "choices"
        )
    ]
    chosen = None
    raw = request.GET.get("filter_choice", "")
    if raw.isdigit() and len(raw) < 10:
        choice = (
            Choice.objects.filter(
                pk=int(raw), question__survey=survey, question__kind__in=("single", "multiple")
            )
            .select_related("question")
            .first()
        )
        if choice is not None:
            chosen = ResultFilter(choice.question, choice)
    results = survey_results(survey, full=full, result_filter=chosen)
    return render(
        request,
        template,
        {
            "survey": survey,
            "results": results,
            "filters": filters,
            "chosen": chosen,
            "map_config": _map_config(survey),
            "full": full,
        },
    )


# ---- The planners' workspace ---------------------------------------------------------------


LOCAL = "%Y-%m-%dT%H:%M"


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["project", "title", "slug", "intro", "opens_at", "closes_at", "audience",
                  "results_visibility", "grid_size_m", "min_cell_count"]  # fmt: skip
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
        }


class QuestionForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=gettext_lazy("Answers to choose from (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Question
        fields = list(QUESTION_FIELDS)

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["show_if_question"].queryset = survey.questions.filter(  # type: ignore[attr-defined]
            kind__in=("single", "multiple")
        ).exclude(pk=self.instance.pk or 0)
        self.fields["show_if_choice"].queryset = Choice.objects.filter(  # type: ignore[attr-defined]
            question__survey=survey
        )
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(
                self.instance.choices.values_list("label", flat=True)
            )


def _apply(exc: ValidationError, form: forms.BaseForm) -> None:
    for key, messages_ in exc.message_dict.items():
        target = key if key in form.fields else None
        for message in messages_:
            form.add_error(target, message)


@require_http_methods(["GET", "HEAD", "POST"])
@planner_required
def builder_home(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    form.fields["project"].queryset = Project.objects.order_by("title")  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "project"}
        try:
            survey = survey_create(
                actor=request.user, project=form.cleaned_data["project"], **values
            )
            return redirect("surveys:builder", slug=survey.slug)
        except ValidationError as exc:
            _apply(exc, form)
    surveys = Survey.objects.select_related("project").order_by("-opens_at", "pk")
    return render(request, "surveys/workspace/home.html", {"surveys": surveys, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@planner_required
def builder(request: HttpRequest, slug: str) -> HttpResponse:
    """One survey: its settings, its questions (add, change, move, delete), publishing."""
    survey = get_object_or_404(Survey.objects.select_related("project"), slug=slug)
    question_form = QuestionForm(survey=survey, prefix="new")
    settings_form = SurveyForm(instance=survey, prefix="s")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "publish":
                survey_publish(actor=request.user, survey=survey)
                messages.success(request, _("The survey is published."))
                return redirect("surveys:builder", slug=survey.slug)
            if action == "settings":
                settings_form = SurveyForm(
                    request.POST, instance=Survey.objects.get(pk=survey.pk), prefix="s"
                )
                if settings_form.is_valid():
                    values = {k: v for k, v in settings_form.cleaned_data.items() if k != "project"}
                    survey_update(actor=request.user, survey=survey, **values)
                    messages.success(request, _("The settings are saved."))
                    return redirect("surveys:builder", slug=survey.slug)
            elif action == "add":
                question_form = QuestionForm(request.POST, survey=survey, prefix="new")
                if question_form.is_valid():
                    data = dict(question_form.cleaned_data)
                    labels = data.pop("choices_text", "").splitlines()
                    question_create(actor=request.user, survey=survey, choices=labels, **data)
                    messages.success(request, _("The question is added."))
                    return redirect(
                        reverse("surveys:builder", kwargs={"slug": survey.slug}) + "#fragen"
                    )
            elif action in ("up", "down", "delete"):
                question = get_object_or_404(survey.questions, pk=request.POST.get("question"))
                if action == "delete":
                    question_delete(actor=request.user, question=question)
                else:
                    order = list(survey.questions.values_list("pk", flat=True))
                    i = order.index(question.pk)
                    j = i - 1 if action == "up" else i + 1
                    if 0 <= j < len(order):
                        order[i], order[j] = order[j], order[i]
                        questions_reorder(actor=request.user, survey=survey, order=order)
                return redirect(
                    reverse("surveys:builder", kwargs={"slug": survey.slug}) + "#fragen"
                )
        except ValidationError as exc:
            target = question_form if action == "add" else settings_form
            _apply(exc, target)
            if action not in ("add", "settings"):
                for message in exc.messages:
                    messages.error(request, message)
    return render(
        request,
        "surveys/workspace/builder.html",
        {
            "survey": survey,
            "questions": survey.questions.prefetch_related("choices").select_related(
                "show_if_question", "show_if_choice"
            ),
            "question_form": question_form,
            "settings_form": settings_form,
            "has_responses": survey.responses.exists(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@planner_required
def question_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    question = get_object_or_404(survey.questions, pk=pk)
    form = QuestionForm(request.POST or None, instance=question, survey=survey)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        labels = data.pop("choices_text", "").splitlines()
        try:
            question_update(
                actor=request.user,
                question=question,
                choices=labels
                if question.has_choices or data["kind"] in Question.CHOICE_KINDS
                else None,
                **data,
            )
            messages.success(request, _("The question is saved."))
            return redirect(reverse("surveys:builder", kwargs={"slug": survey.slug}) + "#fragen")
        except ValidationError as exc:
            _apply(exc, form)
    return render(
        request,
        "surveys/workspace/question.html",
        {"survey": survey, "question": question, "form": form},
    )


@require_safe
@planner_required
def planner_results(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("project"), slug=slug)
    return _results(request, survey, full=True, template="surveys/workspace/results.html")


class PaperEntryForm(forms.Form):
    """The event of a paper questionnaire, and what a correction replaces and why."""

    event_name = forms.CharField(label=gettext_lazy("Event"), max_length=200)
    event_date = forms.DateField(
        label=gettext_lazy("Date of the event"), widget=forms.DateInput(attrs={"type": "date"})
    )
    supersedes = forms.ModelChoiceField(
        label=gettext_lazy("Corrects the entry"),
        queryset=Response.objects.none(),
        required=False,
        empty_label=gettext_lazy("(a new questionnaire)"),
    )
    correction_reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supersedes"]
        field.queryset = _paper_entries(survey).filter(is_current=True)  # type: ignore[attr-defined]
        field.label_from_instance = lambda r: (  # type: ignore[attr-defined]
            f"#{r.pk}: {r.event_name}, {r.event_date:%d.%m.%Y}"
        )


def _paper_entries(survey: Survey) -> Any:
    return (
        survey.responses.filter(source=Response.Source.PAPER)
        .select_related("recorded_by")
        .order_by("event_date", "pk")
    )


@require_http_methods(["GET", "HEAD", "POST"])
@planner_required
def paper_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """Planners enter paper questionnaires with their event, like paper ballots; a correction
    supersedes an entry (the service keeps the old one and audits the change)."""
    survey = get_object_or_404(Survey.objects.select_related("project"), slug=slug)
    refusal = rules.may_record_paper_response.reason(request.user, survey)
    questions = _questions(survey)
    places = places_for(survey)
    form = PaperEntryForm(request.POST or None, survey=survey)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST" and refusal is None:
        answers, errors = answers_from_post(questions, request.POST, places)
        values = {**answers}
        if not form.is_valid() or errors:
            # The questions' messages too, in the same round: checked, nothing stored.
            try:
                clean_answers(
                    survey, questions, {k: v for k, v in answers.items() if k not in errors}
                )
            except ValidationError as exc:
                errors = {**exc.message_dict, **errors}
        else:
            try:
                entry = paper_response_record(
                    actor=request.user,
                    survey=survey,
                    answers=answers,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                errors = {k: v for k, v in exc.message_dict.items() if k.startswith("q")}
                for key, messages_ in exc.message_dict.items():
                    if key in form.fields:
                        for message in messages_:
                            form.add_error(key, message)
                    elif key not in errors:
                        form.add_error(None, messages_)
            else:
                messages.success(
                    request, _("Paper questionnaire #%(id)s is entered.") % {"id": entry.pk}
                )
                return redirect("surveys:paper", slug=survey.slug)
    entries = list(_paper_entries(survey))
    context = {
        "survey": survey,
        "form": form,
        "questions": [_question_context(q, values, errors) for q in questions],
        "errors": errors,
        "refusal": refusal,
        "places": places,
        "entries": entries,
        "current": sum(1 for e in entries if e.is_current),
        "map_config": _map_config(survey),
    }
    invalid = request.method == "POST" and (errors or form.errors)
    return render(request, "surveys/workspace/paper.html", context, status=400 if invalid else 200)
