"""Pages of participation: thin views over selectors and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.types import Person, signed_in
from infra.images import stored_image_response
from infra.pagecache import render_shared, shareable
from infra.ratelimit import Count, Exceeded, client_key, counting, limit, too_many_requests
from proposals import rules
from proposals.filters import ProposalFilter
from proposals.forms import CommentForm, ProposalForm, add_service_errors
from proposals.maps import picker_options, pins_url, proposal_map
from proposals.maps import project_map as build_project_map
from proposals.models import Comment, Phase, Project, Proposal, ProposalPhoto, VotingMode
from proposals.photos import photos_visible_to
from proposals.responses import next_url, refusal
from proposals.selectors import (
    CommentNode,
    Place,
    comment_tree,
    current_tallies,
    my_votes,
    participation_of,
    project_head,
    project_places,
    project_results,
    projects_visible_to,
    proposals_visible_to,
    sites_on_map,
    with_counts,
    with_first_photo,
)
from proposals.services import (
    comment_create,
    proposal_create,
    proposal_delete,
    proposal_update,
    vote_cast,
    vote_withdraw,
)

PROPOSALS_PER_PAGE = 50
# The project page shows the top of the ranking; the results page has it all, paged.
RESULTS_ON_PROJECT_PAGE = 10
RESULTS_PER_PAGE = 100
MAX_RESULTS_PAGE = 10**7
# Circles on the results map: the leading options (a map of more would be unreadable).
RESULTS_ON_MAP = 500

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
        # Its own ids: the pin form on the same page has a "category" field too.
        super().__init__(data, auto_id="filter_%s")
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
    """The project page. Visitors who are not signed in share one rendering per data version.

    The key holds what the page shows that is not in the data: the phase and whether the
    results are public (both move with the clock), one `now` for the key and the page. A
    signed-in person's page (their votes, pending proposals, forms) is rendered for them.
    """
    if not shareable(request):
        project = get_object_or_404(Project, slug=slug)
        if not rules.may_view_project(request.user, project):
            raise Http404
        context, status = _project_context(request, project, now=timezone.now())
        return render(request, "proposals/project_detail.html", context, status=status)
    found = project_head(slug)
    if found is None or not rules.may_view_project(request.user, found[0]):
        raise Http404
    head, version = found
    now = timezone.now()
    phase = head.phase_at(now)
    votes_public = rules.may_view_results(request.user, head, now)
    key = None if version is None else ("project", head.pk, version, phase, votes_public)

    def build() -> tuple[dict[str, Any], int]:
        # All of it now: read after the version, so at least as new as the key says.
        return _project_context(request, get_object_or_404(Project, pk=head.pk), now=now)

    return render_shared(request, key, "proposals/project_detail.html", build)


def _project_context(
    request: HttpRequest, project: Project, *, now: datetime
) -> tuple[dict[str, Any], int]:
    proposal_form = None
    places: list[Place] = []
    if rules.may_add_proposal(request.user, project, now):
        places = project_places(project)
        proposal_form = ProposalForm(project=project, places=places)
    phase = project.phase_at(now)
    votes_public = rules.may_view_results(request.user, project, now)
    categories = list(project.categories.all())
    form = ProposalFilterForm(request.GET or None, categories=categories, votes_public=votes_public)
    filters: dict[str, str] = {}
    order = SORT_ORDERS["newest"]
    if form.is_bound and form.is_valid():
        filters = {k: form.cleaned_data[k] for k in ("category", "status") if form.cleaned_data[k]}
        order = SORT_ORDERS[form.cleaned_data["sort"] or "newest"]
    proposals = proposals_visible_to(request.user, project=project).select_related(
        "category", "project"
    )
    if filters:  # the list filters of every surface (REST, tiles): one FilterSet
        proposals = ProposalFilter(filters, queryset=proposals).qs
    results = _results(project, phase) if votes_public else None
    paginator = Paginator(
        with_first_photo(with_counts(proposals, user=request.user)).order_by(*order),
        PROPOSALS_PER_PAGE,
    )
    if results is not None and not filters and not request.user.is_authenticated:
        # The ranking has counted the project's published proposals, which is exactly what an
        # unfiltered list shows a visitor who is not signed in: a second count of them (a scan
        # of every proposal, 0.2 s at a million) is spared.
        paginator.count = results["results"].options
    page = paginator.get_page(request.GET.get("page"))
    ballot = Ballot.of(request.user, project)
    entries = list(page.object_list)
    for proposal in entries:
        proposal.vote_box = ballot.box(request.user, proposal)  # type: ignore[attr-defined]
    page.object_list = entries

    picker = picker_options(places) if proposal_form is not None else None
    sites = list(sites_on_map(project))
    context = {
        "project": project,
        "phase": phase,
        "todo": what_one_can_do(project, phase),
        "map": build_project_map(
            project,
            pins_url=pins_url(project, **filters),
            sites=sites,
            picker=picker,
        ),
        # The legend names what the map draws: area, sites, categories, the city's options.
        "legend": {
            "sites": bool(sites),
            "categories": categories,
            "options": any(p.is_option for p in entries),
        },
        "form": form,
        "votes_public": votes_public,
        "page": page,
        "filtered": bool(filters),
        "page_query": _query_without_page(request),
        "proposal_form": proposal_form,
        "invite_sign_in": _invites_sign_in(request, project, phase),
        "login_url": _login_url(request, project.get_absolute_url()),
        "ballot": ballot,
        "results": results,
    }
    # Unknown filter values get the page with the form's messages, as a client error.
    return context, 400 if form.is_bound and not form.is_valid() else 200


@require_http_methods(["GET", "HEAD", "POST"])
@limit("pins")
def proposal_new(request: HttpRequest, slug: str) -> HttpResponse:
    """The form to place a pin on its own page; the project page embeds the same form."""
    project = get_object_or_404(Project, slug=slug)
    if not rules.may_view_project(request.user, project):
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(project.get_absolute_url() + "#vorschlag-machen")
    if (reason := rules.may_add_proposal.reason(request.user, project)) is not None:
        return refusal(request, reason)
    places = project_places(project)
    form = ProposalForm(request.POST or None, request.FILES or None, project=project, places=places)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = proposal_create(
                author=request.user, project=project, **form.service_arguments()
            )
        except PermissionDenied as denied:
            return refusal(request, denied)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if proposal.visibility == Proposal.Visibility.PENDING:
                messages.success(
                    request,
                    _(
                        "Thank you! Your proposal was saved. It awaits approval by the city "
                        "and is visible only to you until then."
                    ),
                )
            else:
                messages.success(request, _("Thank you! Your proposal is on the map."))
            return redirect(proposal)
    return _proposal_form_page(request, project, form, places, proposal=None)


@require_http_methods(["GET", "HEAD", "POST"])
@limit("pins")
def proposal_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _visible_proposal(request, slug, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(proposal.get_absolute_url())
    if (reason := rules.may_edit_proposal.reason(request.user, proposal)) is not None:
        return refusal(request, reason)
    project = proposal.project
    places = project_places(project)
    initial = {
        "title": proposal.title,
        "description": proposal.description,
        "category": proposal.category_id,
        "lon": round(proposal.location.x, 6),
        "lat": round(proposal.location.y, 6),
    }
    form = ProposalForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        project=project,
        places=places,
    )
    if request.method == "POST" and form.is_valid():
        try:
            proposal_update(user=request.user, proposal=proposal, **form.service_arguments())
        except PermissionDenied as denied:
            return refusal(request, denied)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(proposal)
    return _proposal_form_page(request, project, form, places, proposal=proposal)


@require_http_methods(["GET", "HEAD", "POST"])
def proposal_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _visible_proposal(request, slug, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(proposal.get_absolute_url())
    if (reason := rules.may_delete_proposal.reason(request.user, proposal)) is not None:
        return refusal(request, reason)
    if request.method == "POST":
        try:
            proposal_delete(user=request.user, proposal=proposal)
        except PermissionDenied as denied:
            return refusal(request, denied)
        messages.success(request, _("Your proposal was deleted."))
        return redirect(proposal.project)
    return render(
        request,
        "proposals/proposal_confirm_delete.html",
        {"project": proposal.project, "proposal": proposal},
    )


@require_safe
def proposal_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _proposal_page(request, _visible_proposal(request, slug, pk))


@require_POST
@limit("comments")
def comment_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    proposal = _visible_proposal(request, slug, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(proposal.get_absolute_url() + "#kommentieren")
    form = CommentForm(request.POST)
    if form.is_valid():
        parent_id = form.cleaned_data["parent"]
        parent = None
        if parent_id is not None:
            parent = Comment.objects.filter(
                pk=parent_id, proposal=proposal, is_hidden=False
            ).first()
            if parent is None:
                form.add_error(None, _("The comment you reply to does not exist (any more)."))
        if form.is_valid():
            try:
                comment = comment_create(
                    author=request.user,
                    proposal=proposal,
                    body=form.cleaned_data["body"],
                    parent=parent,
                )
            except PermissionDenied as denied:
                return refusal(request, denied)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Your comment was published."))
                return redirect(f"{proposal.get_absolute_url()}#kommentar-{comment.pk}")
    return _proposal_page(request, proposal, comment_form=form, status=400)


@require_POST
def vote_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    # The rate count is made in the vote's own transaction (vote_cast): one commit. A request
    # that casts nothing (no such proposal, not signed in) is counted alone, as `limit` would.
    count = counting("votes", client_key(request))
    try:
        proposal = _visible_proposal(request, slug, pk)
    except Http404:
        if count is not None and (retry_after := count.alone()) is not None:
            return too_many_requests(request, retry_after)
        raise
    if not request.user.is_authenticated:
        if count is not None and (retry_after := count.alone()) is not None:
            return too_many_requests(request, retry_after)
        count = None
    return _vote(request, proposal, withdraw=False, count=count)


@require_POST
@limit("votes")
def vote_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _vote(request, _visible_proposal(request, slug, pk), withdraw=True)


def _vote(
    request: HttpRequest, proposal: Proposal, *, withdraw: bool, count: Count | None = None
) -> HttpResponse:
    back = next_url(request, default=proposal.get_absolute_url() + "#abstimmen")
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        if withdraw:
            vote_withdraw(user=request.user, proposal=proposal)
        else:
            vote_cast(user=request.user, proposal=proposal, count=count)
    except Exceeded as exceeded:
        return too_many_requests(request, exceeded.retry_after)
    except PermissionDenied as denied:
        return refusal(request, denied)
    except ValidationError as error:
        return _proposal_page(request, proposal, vote_errors=error.messages, status=400)
    messages.success(
        request, _("Your vote was withdrawn.") if withdraw else _("Thank you for your vote!")
    )
    return redirect(back)


def _proposal_page(
    request: HttpRequest,
    proposal: Proposal,
    *,
    comment_form: CommentForm | None = None,
    vote_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    project = proposal.project
    tree = comment_tree(proposal)
    may_comment = rules.may_comment(user, proposal)
    ballot = Ballot.of(user, project)
    context = {
        "project": project,
        "proposal": proposal,
        "comments": tree,
        "votes_public": rules.may_view_results(user, project),
        "map": proposal_map(proposal),
        "vote_box": ballot.box(user, proposal),
        "vote_errors": vote_errors or [],
        "voting_open": project.phase == Phase.VOTING,
        "comments_open": project.phase in (Phase.IDEAS, Phase.VOTING),
        "may_comment": may_comment,
        "comment_form": comment_form if comment_form is not None else CommentForm(),
        "reply_parent": _reply_parent(comment_form, tree),
        "may_report": rules.may_report(user, proposal),
        "may_edit": rules.may_edit_proposal(user, proposal),
        "may_delete": rules.may_delete_proposal(user, proposal),
        "awaits_approval": proposal.visibility == Proposal.Visibility.PENDING,
        "photos": photos_visible_to(user, proposal),
        "login_url": _login_url(request, proposal.get_absolute_url()),
    }
    return render(request, "proposals/proposal_detail.html", context, status=status)


def _proposal_form_page(
    request: HttpRequest,
    project: Project,
    form: ProposalForm,
    places: list[Place],
    *,
    proposal: Proposal | None,
) -> HttpResponse:
    sites = list(sites_on_map(project))
    context = {
        "project": project,
        "proposal": proposal,
        "proposal_form": form,
        "map": build_project_map(
            project,
            pins_url=pins_url(project),
            sites=sites,
            picker=picker_options(places),
        ),
        "legend": {"sites": bool(sites), "categories": list(project.categories.all())},
        "proposal_photos": photos_visible_to(request.user, proposal) if proposal else [],
    }
    return render(
        request,
        "proposals/proposal_form.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


@dataclass(frozen=True)
class VoteBox:
    """What the vote control of one proposal shows to one person."""

    weight: int  # this person's votes on the proposal
    cast_label: str | None  # the button to (add a) vote, if one may
    withdraw_label: str | None
    state: str  # this person's own state in words ("" when they have not voted)
    note: str  # why one cannot add a vote, when that is the case


@dataclass(frozen=True)
class Ballot:
    """One person's votes in one project: enough to label every vote button of a page."""

    project: Project
    mine: dict[int, int]
    spent: int

    @classmethod
    def of(cls, user: Person, project: Project) -> Ballot:
        mine = my_votes(user, project) if project.phase == Phase.VOTING else {}
        return cls(project=project, mine=mine, spent=sum(mine.values()))

    @property
    def budget(self) -> int:
        return self.project.votes_per_person or 0

    @property
    def left(self) -> int:
        return max(self.budget - self.spent, 0)

    def box(self, user: Person, proposal: Proposal) -> VoteBox | None:
        """None when this person cannot vote on the proposal (not signed in, not voting now)."""
        if not rules.may_vote(user, proposal):
            return None
        weight = self.mine.get(proposal.pk, 0)
        mode = self.project.voting_mode
        # Whether one more vote may be cast is the rule vote_cast applies, asked of the same votes.
        refusal = rules.ballot_refusal(self.project, self.mine, proposal.pk)
        note = ""
        cast_label: str | None
        if mode == VotingMode.SINGLE:
            cast_label = _("Choose this option")
            state = _("This is your choice.") if weight else ""
            withdraw = _("Withdraw my choice")
        elif mode == VotingMode.BUDGET:
            cast_label = _("Give a vote (%(left)d of %(total)d left)") % {
                "left": self.left,
                "total": self.budget,
            }
            if refusal is not None:
                # The button's own words for the rule's refusal (the form says it per option).
                note = (
                    _("You have given all your votes.")
                    if refusal.code == "budget_exhausted"
                    else _("This option has the most votes one person may give it.")
                )
            state = (
                ngettext(
                    "You gave this proposal %(n)d vote.",
                    "You gave this proposal %(n)d votes.",
                    weight,
                )
                % {"n": weight}
                if weight
                else ""
            )
            withdraw = _("Take back one vote")
        else:
            cast_label = _("Support this proposal")
            state = _("You support this proposal.") if weight else ""
            withdraw = _("Withdraw my support")
        if refusal is not None:
            cast_label = None
        return VoteBox(
            weight=weight,
            cast_label=cast_label,
            withdraw_label=withdraw if weight else None,
            state=state,
            note=note,
        )


def _visible_proposal(request: HttpRequest, slug: str, pk: int) -> Proposal:
    # With its counts: a page shown after a refused write shows them as they still are.
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
    return proposal


def _results(project: Project, phase: Phase) -> dict[str, Any] | None:
    """The top of the ranking with the sums over all options and the paper events.

    The page stays small for any number of options: the whole ranking has its own paged page
    and downloads, and the results map loads its circles from the API.
    """
    if phase not in (Phase.VOTING, Phase.CLOSED):
        return None
    results = project_results(project, limit=RESULTS_ON_PROJECT_PAGE)
    return {
        "phase": phase,
        "results": results,
        "more": results.options > len(results.rows),
        "tallies": list(current_tallies(project).order_by("event_date", "pk")),
        "map": _results_map(project) if results.options else None,
    }


def _results_map(project: Project) -> dict[str, Any]:
    """What the results map's script needs: no option is written into the page."""
    xmin, ymin, xmax, ymax = project.perimeter.extent
    data_url = reverse("api-v1:results-download", kwargs={"slug": project.slug, "fmt": "geojson"})
    return {
        "data_url": f"{data_url}?{urlencode({'limit': RESULTS_ON_MAP})}",
        "bounds": [[ymin, xmin], [ymax, xmax]],
        "tiles": {
            "url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "max_zoom": settings.MAP_TILE_MAX_ZOOM,
        },
        "labels": {
            "zoom_in": _("Zoom in"),
            "zoom_out": _("Zoom out"),
            "option": _("%(title)s: %(votes)s votes (rank %(rank)s)"),
        },
    }


@require_safe
def project_results_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole ranking of a project, a page at a time."""
    project = get_object_or_404(Project, slug=slug)
    if not rules.may_view_project(request.user, project):
        raise Http404
    reason = rules.may_view_results.reason(request.user, project)
    if reason:
        return refusal(request, reason)
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        number = 1
    number = min(number, MAX_RESULTS_PAGE)
    results = project_results(
        project, limit=RESULTS_PER_PAGE, offset=(number - 1) * RESULTS_PER_PAGE
    )
    pages = max(-(-results.options // RESULTS_PER_PAGE), 1)
    if number > pages:  # past the end: the last page, as the list of proposals does
        number = pages
        results = project_results(
            project, limit=RESULTS_PER_PAGE, offset=(number - 1) * RESULTS_PER_PAGE
        )
    context = {
        "project": project,
        "phase": project.phase,
        "results": results,
        "number": number,
        "pages": pages,
    }
    return render(request, "proposals/project_results.html", context)


def _invites_sign_in(request: HttpRequest, project: Project, phase: Phase) -> bool:
    """Anonymous visitors are told they can take part after signing in, when the phase allows."""
    if request.user.is_authenticated:
        return False
    return phase == Phase.VOTING or (phase == Phase.IDEAS and project.allow_citizen_pins)


def _login_url(request: HttpRequest, next_url: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?next={quote(next_url, safe='/')}"


def _reply_parent(form: CommentForm | None, tree: list[CommentNode]) -> int | None:
    """The comment whose reply form shows a refused reply again; else the main form shows it."""
    if form is None or not form.is_bound:
        return None
    try:
        parent = int(form.data.get("parent") or 0)
    except ValueError:
        return None
    return parent if any(node.comment.pk == parent for node in tree) else None


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
@login_required
def my_participation(request: HttpRequest) -> HttpResponse:
    """The "My account" page: what the person proposed, commented and voted, and what came of it."""
    return render(
        request,
        "proposals/my_participation.html",
        {"participation": participation_of(signed_in(request.user))},
    )


@require_safe
def photo_file(request: HttpRequest, pk: int, variant: str) -> HttpResponseBase:
    """A proposal's photo, to whoever may see it (rules.may_view_photo); 404 to anyone else,
    as for the proposal itself."""
    photo = get_object_or_404(ProposalPhoto.objects.select_related("proposal__project"), pk=pk)
    if not rules.may_view_photo(request.user, photo):
        raise Http404
    public = rules.may_view_photo(AnonymousUser(), photo)
    name = photo.thumbnail.name if variant == "thumb" else photo.image.name
    return stored_image_response(name or "", public=public)


@require_safe
def project_image_file(request: HttpRequest, slug: str, variant: str) -> HttpResponseBase:
    project = get_object_or_404(Project, slug=slug)
    if not rules.may_view_project(request.user, project) or not project.image:
        raise Http404
    name = project.image_thumbnail.name if variant == "thumb" else project.image.name
    return stored_image_response(name or "", public=project.is_published)
