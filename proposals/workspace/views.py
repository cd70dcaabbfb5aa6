"""Pages of the planners' workspace: thin views over the workspace selectors and review services."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.gis.db.models import Extent
from django.core.exceptions import (
    PermissionDenied,
    ValidationError,
)
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit.models import AuditEntry
from geo import analysis
from infra.ratelimit import limit
from locations.models import Site
from proposals import notifications, photos, review, rules
from proposals.forms import add_service_errors
from proposals.models import (
    Comment,
    NotificationSettings,
    PaperTally,
    Phase,
    Project,
    Proposal,
    ProposalPhoto,
    Report,
)
from proposals.responses import next_url, refusal
from proposals.selectors import with_counts
from proposals.services import tally_record
from proposals.workspace import maps
from proposals.workspace.forms import (
    DuplicateForm,
    LinkForm,
    MergeForm,
    ModerationForm,
    NotificationSettingsForm,
    PhotoModerationForm,
    ReportForm,
    TallyForm,
    TransitionForm,
    WorkspaceFilterForm,
)
from proposals.workspace.history import describe
from proposals.workspace.selectors import (
    for_table,
    merge_candidates,
    moderation_queue,
    workspace_proposals,
)

ROWS_PER_PAGE = 100
FILTER_KEYS = (
    "project",
    "status",
    "category",
    "district",
    "visibility",
    "date_from",
    "date_to",
    "q",
    "site",
    "lat",
    "lon",
    "distance",
    "polygon",
)

View = Callable[..., HttpResponse]


def planner_required(view: View) -> View:
    """Anonymous people go to the sign-in page; signed-in non-planners get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if (reason := rules.may_view_workspace.reason(request.user)) is not None:
            return refusal(request, reason)
        return view(request, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> tuple[WorkspaceFilterForm, dict[str, Any], str]:
    form = WorkspaceFilterForm(request.GET or None)
    query = urlencode({k: v for k, v in request.GET.items() if k in FILTER_KEYS and v})
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data, query
    return form, {}, query


@require_safe
@planner_required
def home(request: HttpRequest) -> HttpResponse:
    """Every proposal on a map and in a table, filtered the same way."""
    form, filters, query = _filters(request)
    proposals = workspace_proposals(request.user, filters)
    page = Paginator(for_table(proposals).order_by("-created_at", "-pk"), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    extent = proposals.order_by().aggregate(e=Extent("location"))["e"]
    place = None
    if filters.get("site"):
        site = Site.objects.filter(slug=filters["site"]).first()
        if site is not None:
            place = site.outline if site.outline is not None else site.location
    elif filters.get("point") is not None:
        place = filters["point"]
    rendered = maps.proposals_map(
        api_url=f"{reverse('api-workspace:proposals')}?{query}",
        bounds=extent,
        area=filters.get("area"),
        place=place,
        distance=filters.get("distance"),
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "workspace/home.html",
        {
            "form": form,
            "page": page,
            "map": rendered,
            "query": query,
            "spatial": bool(place),
            "where_used": bool(place or filters.get("area")),
        },
        status=status,
    )


def _review_context(request: HttpRequest, proposal: Proposal, **forms: Any) -> dict[str, Any]:
    allowed = review.allowed_transitions(proposal)
    shown = photos.photos_visible_to(request.user, proposal)
    # A refused photo form comes back bound to its photo, so its errors stand beside it.
    failed: tuple[int, PhotoModerationForm] | None = forms.get("photo_form")
    return {
        "proposal": proposal,
        "photos": [
            (photo, failed[1] if failed and failed[0] == photo.pk else None) for photo in shown
        ],
        "project": proposal.project,
        "responses": proposal.responses.select_related("responder"),
        "comments": Comment.objects.filter(proposal=proposal)
        .select_related("author")
        .prefetch_related(
            Prefetch("reports", queryset=Report.objects.filter(resolved_at__isnull=True))
        ),
        "reports": proposal.reports.filter(resolved_at__isnull=True).select_related("reporter"),
        "related": proposal.related.all(),
        "merged_from": proposal.merged_from.all(),
        "history": [
            (
                entry,
                describe(entry.action, entry.before, entry.after, entry.reason, entry.object_id),
            )
            for entry in AuditEntry.objects.filter(
                Q(object_type="proposals.proposal", object_id=str(proposal.pk))
                | Q(
                    object_type="proposals.proposalphoto",
                    object_id__in=[str(photo.pk) for photo in shown],
                )
            ).select_related("actor")[:50]
        ],
        "transition_form": forms.get("transition_form")
        or TransitionForm(allowed=allowed, initial={"office": proposal.project.office}),
        "moderation_form": forms.get("moderation_form") or ModerationForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "merge_candidates": [] if proposal.merged_into_id else merge_candidates(proposal),
        "link_form": forms.get("link_form") or LinkForm(),
        "allowed": allowed,
        "map": maps.proposals_map(
            api_url=(
                f"{reverse('api-workspace:proposals')}"
                f"?{urlencode({'project': proposal.project.slug})}"
            ),
            bounds=proposal.location.extent,
        ),
    }


def _get_proposal(pk: int) -> Proposal:
    return get_object_or_404(
        with_counts(Proposal.objects.select_related("project", "category", "author", "site")),
        pk=pk,
    )


@require_safe
@planner_required
def proposal_review(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(pk)
    return render(request, "workspace/review.html", _review_context(request, proposal))


def _invalid(request: HttpRequest, proposal: Proposal, name: str, form: Any) -> HttpResponse:
    context = _review_context(request, proposal, **{name: form})
    return render(request, "workspace/review.html", context, status=400)


def _moderated(
    request: HttpRequest,
    form: forms.Form,
    proposal_id: int,
    moderate: Callable[..., object],
    *,
    about: str = "",
) -> HttpResponse | None:
    """Hide or restore through `moderate` (a moderation service with its object bound); the
    redirect when it took, else None with the refusal on the form for the review page."""
    if not form.is_valid():
        return None
    try:
        moderate(
            actor=request.user,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc, about=about)
        return None
    messages.success(request, _("Moderation saved."))
    default = reverse("proposals:workspace:review", args=[proposal_id])
    return HttpResponseRedirect(next_url(request, default=default))


def _back(proposal: Proposal) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("proposals:workspace:review", args=[proposal.pk]))


@require_POST
@planner_required
def proposal_transition(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(pk)
    form = TransitionForm(request.POST, allowed=list(Proposal.Status.values))
    if form.is_valid():
        try:
            review.proposal_transition(
                actor=request.user,
                proposal=proposal,
                to_status=form.cleaned_data["to_status"],
                response_text=form.cleaned_data["response_text"],
                office=form.cleaned_data["office"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Status changed to “%(status)s”; the response is public.")
                % {"status": proposal.get_status_display()},
            )
            return _back(proposal)
    return _invalid(request, proposal, "transition_form", form)


@require_POST
@planner_required
def proposal_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(pk)
    form = ModerationForm(request.POST)
    done = _moderated(request, form, pk, partial(review.proposal_moderate, proposal=proposal))
    return done or _invalid(request, proposal, "moderation_form", form)


@require_POST
@planner_required
def comment_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("proposal__project"), pk=pk)
    form = ModerationForm(request.POST)
    valid = form.is_valid()  # before a refusal by the service adds its errors
    # Shown at the proposal's moderation form: the message says which comment it is.
    about = _("Comment #%(id)d") % {"id": comment.pk}
    moderate = partial(review.comment_moderate, comment=comment)
    done = _moderated(request, form, comment.proposal_id, moderate, about=about)
    if done:
        return done
    if not valid:
        # Not next to the proposal's own fields: as form errors naming the comment.
        errors = ValidationError(form.errors.as_data())
        form = ModerationForm()
        form.cleaned_data = {}  # an empty, unbound form that can still hold errors
        add_service_errors(form, errors, about=about)
    proposal = _get_proposal(comment.proposal_id)
    return _invalid(request, proposal, "moderation_form", form)


@require_POST
@planner_required
def photo_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(ProposalPhoto.objects.select_related("proposal__project"), pk=pk)
    form = PhotoModerationForm(request.POST)
    moderate = partial(photos.photo_moderate, photo=photo)
    done = _moderated(request, form, photo.proposal_id, moderate)
    if done:
        return done
    proposal = _get_proposal(photo.proposal_id)
    return _invalid(request, proposal, "photo_form", (photo.pk, form))


@require_POST
@planner_required
def proposal_merge(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(pk)
    form = MergeForm(request.POST)
    if form.is_valid():
        target = Proposal.objects.filter(pk=form.cleaned_data["target"]).first()
        if target is None:
            form.add_error("target", _("There is no proposal with this number."))
        else:
            try:
                result = review.proposal_merge(
                    actor=request.user,
                    source=proposal,
                    target=target,
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied):
                    form.add_error("target", str(exc))
                else:
                    add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Merged: %(moved)d votes moved, %(combined)d people had voted for both "
                        "and keep one vote."
                    )
                    % {"moved": result.moved, "combined": result.combined},
                )
                return _back(target)
    return _invalid(request, proposal, "merge_form", form)


@require_POST
@planner_required
def proposal_link(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        other = Proposal.objects.filter(pk=form.cleaned_data["other"]).first()
        if other is None:
            form.add_error("other", _("There is no proposal with this number."))
        else:
            try:
                review.proposal_link(
                    actor=request.user,
                    proposal=proposal,
                    other=other,
                    linked=form.cleaned_data["linked"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(
                    next_url(request, default=reverse("proposals:workspace:review", args=[pk]))
                )
    return _invalid(request, proposal, "link_form", form)


@require_safe
@planner_required
def moderation(request: HttpRequest) -> HttpResponse:
    return render(
        request, "workspace/moderation.html", {**moderation_queue(), "form": ModerationForm()}
    )


@require_safe
@planner_required
def analysis_page(request: HttpRequest) -> HttpResponse:
    """Per district (table and choropleth), density of proposals and votes, duplicates."""
    form, filters, query = _filters(request)
    proposals = with_counts(workspace_proposals(request.user, filters))
    table = analysis.district_counts(proposals, weight="vote_count", with_geometry=True)
    per_1000 = request.GET.get("shade") != "count"
    choropleth, legend = maps.choropleth_map(table, per_1000=per_1000)
    heat_of = "votes" if request.GET.get("heat") == "votes" else "proposals"
    cells = analysis.heat_cells(proposals, weight="vote_count" if heat_of == "votes" else None)
    heat, heat_legend = maps.heat_map(
        cells,
        label=_("Map of the density of votes")
        if heat_of == "votes"
        else _("Map of the density of proposals"),
    )
    dup_form = DuplicateForm(request.GET or None, initial={"distance": 50, "similarity": 0.4})
    pairs: list[analysis.DuplicatePair] = []
    if not dup_form.is_bound or dup_form.is_valid():
        data = dup_form.cleaned_data if dup_form.is_bound else {}
        candidates = workspace_proposals(
            request.user, {"project": data.get("project")} if data.get("project") else {}
        ).filter(merged_into__isnull=True)
        pairs = analysis.duplicate_candidates(
            candidates,
            max_distance_m=data.get("distance") or 50,
            min_similarity=data.get("similarity") or 0.4,
        )
    bad = (form.is_bound and not form.is_valid()) or (dup_form.is_bound and not dup_form.is_valid())
    return render(
        request,
        "workspace/analysis.html",
        {
            "form": form,
            "query": query,
            "table": table,
            "choropleth": choropleth,
            "legend": legend,
            "per_1000": per_1000,
            "heat": heat,
            "heat_legend": heat_legend,
            "heat_of": heat_of,
            "cells": cells,
            "dup_form": dup_form,
            "pairs": pairs,
        },
        status=400 if bad else 200,
    )


# Citizens' side: reporting, and the choice about e-mails.


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@limit("reports")
def report(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind == "vorschlag":
        proposal = get_object_or_404(Proposal.objects.select_related("project"), pk=pk)
        comment = None
    else:
        comment = get_object_or_404(Comment.objects.select_related("proposal__project"), pk=pk)
        proposal = comment.proposal
    if not rules.may_view_proposal(request.user, proposal):
        raise Http404
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                review.report_create(
                    reporter=request.user,
                    proposal=None if comment else proposal,
                    comment=comment,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Thank you. The moderators will look at it."))
                return HttpResponseRedirect(proposal.get_absolute_url())
        status = 400
    return render(
        request,
        "workspace/report.html",
        {"form": form, "proposal": proposal, "comment": comment},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """Signed-in people, or anyone with the signed link from an e-mail, choose about e-mails."""
    if token is not None:
        user_id = notifications.user_id_from_token(token)
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        if user is None:
            raise Http404
    elif request.user.is_authenticated:
        user = request.user
    else:
        return redirect_to_login(request.get_full_path())
    current = NotificationSettings.objects.filter(user=user).first()
    initial = {"email_on_review": current.email_on_review if current else True}
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if form.is_bound and form.is_valid():
        review.notification_settings_update(
            user=user, email_on_review=form.cleaned_data["email_on_review"]
        )
        messages.success(request, _("Your choice is saved."))
        return HttpResponseRedirect(request.get_full_path())
    return render(request, "workspace/notifications.html", {"form": form})


# Paper ballots: planners record what was counted at events; corrections supersede.


@require_safe
@planner_required
def tally_projects(request: HttpRequest) -> HttpResponse:
    projects = [
        p
        for p in Project.objects.filter(is_published=True).order_by("-voting_start", "title")
        if p.phase in (Phase.VOTING, Phase.CLOSED)
    ]
    return render(request, "workspace/tally_projects.html", {"projects": projects})


@require_http_methods(["GET", "HEAD", "POST"])
@planner_required
def tallies(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    options = list(
        Proposal.objects.filter(project=project, visibility=Proposal.Visibility.PUBLISHED).order_by(
            "title", "pk"
        )
    )
    form = TallyForm(
        request.POST if request.method == "POST" else None, project=project, options=options
    )
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            try:
                tally_record(
                    actor=request.user,
                    project=project,
                    event_name=data["event_name"],
                    place=data["place"],
                    event_date=data["event_date"],
                    ballots=data["ballots"],
                    counted_by=data["counted_by"],
                    note=data["note"],
                    counts=form.counts(),
                    supersedes=data["supersedes"],
                    correction_reason=data["correction_reason"],
                    separate_count=data["separate_count"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The paper ballots are recorded."))
                return HttpResponseRedirect(request.path)
        status = 400
    history = (
        PaperTally.objects.filter(project=project)
        .select_related("recorded_by", "superseded_by")
        .prefetch_related("counts__proposal")
        .order_by("event_date", "recorded_at", "pk")
    )
    context = {
        "project": project,
        "form": form,
        "history": history,
        "may_record": rules.may_record_tally(request.user, project),
    }
    return render(request, "workspace/tallies.html", context, status=status)
