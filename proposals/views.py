"""Pages of participation: thin views over selectors and services."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from geo.maps import project_map as build_project_map
from geo.maps import proposal_map
from locations.models import Site
from proposals import rules
from proposals.models import Comment, Phase, Project, Proposal
from proposals.selectors import projects_visible_to, proposals_visible_to, with_counts

# The REST API of the shared contract; it is not language-prefixed, so no reverse() per language.
PINS_API_PATH = "/api/v1/proposals/"
PROPOSALS_PER_PAGE = 50
# A project map shows the city's sites inside its area; more than this would clutter it.
MAX_SITES_ON_MAP = 200

SORT_CHOICES = [("newest", gettext_lazy("Newest first")), ("support", gettext_lazy("Most votes"))]
SORT_ORDERS = {
    "newest": ("-created_at", "-pk"),
    "support": ("-vote_count", "-created_at", "-pk"),
}


class ProposalFilterForm(forms.Form):
    """The list's filters and sort order, from GET parameters."""

    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        required=False,
        choices=[],
    )

    def __init__(self, data: Any, *, categories: list[Any], votes_public: bool) -> None:
        super().__init__(data)
        # Sorting by votes would reveal the standings before the results are public.
        cast(forms.ChoiceField, self.fields["sort"]).choices = [
            c for c in SORT_CHOICES if votes_public or c[0] != "support"
        ]
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("All categories")),
            *((c.slug, c.name) for c in categories),
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", _("All statuses")),
            *Proposal.Status.choices,
        ]


def what_one_can_do(project: Project, phase: Phase) -> str:
    """One sentence for citizens: what this project invites them to do today."""
    if phase == Phase.IDEAS:
        if project.allow_citizen_pins:
            return _("Put your ideas on the map and comment on others' ideas.")
        return _("Comment on the city's options.")
    if phase == Phase.VOTING:
        return _("Vote for the proposals you support.")
    if phase == Phase.CLOSED:
        return _("Participation has ended; see what came of it.")
    return _("Find out about the plans; taking part starts soon.")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    projects = projects_visible_to(request.user).filter(is_published=True)
    running: list[dict[str, Any]] = []
    finished: list[dict[str, Any]] = []
    for project in projects:
        phase = project.phase
        entry = {"project": project, "phase": phase, "todo": what_one_can_do(project, phase)}
        (finished if phase == Phase.CLOSED else running).append(entry)
    return render(request, "proposals/home.html", {"running": running, "finished": finished})


@require_safe
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    if not rules.may_view_project(request.user, project):
        raise Http404
    categories = list(project.categories.all())
    votes_public = rules.may_view_results(request.user, project)
    form = ProposalFilterForm(request.GET or None, categories=categories, votes_public=votes_public)
    filters: dict[str, str] = {}
    order = SORT_ORDERS["newest"]
    if form.is_bound and form.is_valid():
        filters = {k: form.cleaned_data[k] for k in ("category", "status") if form.cleaned_data[k]}
        order = SORT_ORDERS[form.cleaned_data["sort"] or "newest"]
    proposals = proposals_visible_to(request.user, project=project).select_related("category")
    if "category" in filters:
        proposals = proposals.filter(category__slug=filters["category"])
    if "status" in filters:
        proposals = proposals.filter(status=filters["status"])
    page = Paginator(
        with_counts(proposals, user=request.user).order_by(*order), PROPOSALS_PER_PAGE
    ).get_page(request.GET.get("page"))

    sites = Site.objects.filter(location__intersects=project.perimeter).only(
        "name", "location", "outline"
    )[:MAX_SITES_ON_MAP]
    pins_url = f"{PINS_API_PATH}?{urlencode({'project': project.slug, **filters})}"
    phase = project.phase
    context = {
        "project": project,
        "phase": phase,
        "todo": what_one_can_do(project, phase),
        "map": build_project_map(project, pins_url=pins_url, sites=sites),
        "form": form,
        "votes_public": votes_public,
        "page": page,
        "filtered": bool(filters),
        "page_query": _query_without_page(request),
    }
    # Unknown filter values get the page with the form's messages, as a client error.
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "proposals/project_detail.html", context, status=status)


@require_safe
def proposal_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = get_object_or_404(
        with_counts(
            Proposal.objects.select_related("project", "category", "site", "author"),
            user=request.user,
        ),
        pk=pk,
        project__slug=slug,
    )
    if not rules.may_view_proposal(request.user, proposal):
        raise Http404
    comments = Comment.objects.filter(proposal=proposal, is_hidden=False).select_related("author")
    return render(
        request,
        "proposals/proposal_detail.html",
        {
            "project": proposal.project,
            "proposal": proposal,
            "comments": _comment_tree(comments),
            "votes_public": rules.may_view_results(request.user, proposal.project),
            "map": proposal_map(proposal),
        },
    )


def _comment_tree(comments: Any) -> list[dict[str, Any]]:
    """Top-level comments with their replies nested; replies to hidden comments stay hidden too."""
    children: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        children[comment.parent_id].append(comment)

    def node(comment: Comment) -> dict[str, Any]:
        return {"comment": comment, "replies": [node(c) for c in children.get(comment.pk, [])]}

    return [node(c) for c in children.get(None, [])]


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
