"""Pages of alerts: what a person follows, follow buttons, the one-click unsubscribe, the
implementation ("Umsetzung") lists, progress updates by staff, and the embeddable map."""

from __future__ import annotations

import json

import folium
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from geo.maps import TEXT_TOOLTIP, RenderedMap, base_map, render_map
from infra.images import stored_image_response
from infra.ratelimit import limit
from proposals import rules
from proposals.alerts import mail, selectors, services
from proposals.alerts.forms import AreaSubscriptionForm, FrequencyForm, ProgressForm
from proposals.alerts.maps import centre, draw_map
from proposals.alerts.models import ProgressUpdate, Subscription
from proposals.forms import add_service_errors
from proposals.maps import PERIMETER_STYLE, pins_url, project_map
from proposals.models import Category, Project, Proposal
from proposals.responses import next_url, refusal
from proposals.selectors import projects_visible_to


@require_http_methods(["GET", "HEAD", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    """What the person follows, how often they hear of it, and a new area subscription."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = request.user
    frequency_form = FrequencyForm(
        request.POST if request.method == "POST" else None,
        initial={"frequency": selectors.frequency_of(user)},
    )
    status = 200
    if frequency_form.is_bound:
        if frequency_form.is_valid():
            services.alert_settings_update(
                user=user, frequency=frequency_form.cleaned_data["frequency"]
            )
            messages.success(request, _("Your choice is saved."))
            return HttpResponseRedirect(request.path)
        status = 400
    return _settings_page(request, frequency_form=frequency_form, status=status)


def _settings_page(
    request: HttpRequest,
    *,
    frequency_form: FrequencyForm | None = None,
    area_form: AreaSubscriptionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "alerts/settings.html",
        {
            "frequency_form": frequency_form
            or FrequencyForm(initial={"frequency": selectors.frequency_of(user)}),
            "area_form": area_form or AreaSubscriptionForm(),
            "subscriptions": selectors.subscriptions_of(user),
            "map": draw_map(),
        },
        status=status,
    )


@require_POST
@limit("follows")
def area_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("alerts:settings"))
    form = AreaSubscriptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.area_subscribe(
                user=request.user,
                kind=data["kind"],
                district=data["district"],
                site=data["site"],
                radius_m=data["radius_m"],
                drawn=data["drawn"],
                projects=data["projects"],
                categories=data["categories"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("You will hear about new proposals in this area."))
            return redirect("alerts:settings")
    return _settings_page(request, area_form=form, status=400)


@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("alerts:settings"))
    subscription = get_object_or_404(Subscription, pk=pk, user=request.user)
    services.subscription_delete(user=request.user, subscription=subscription)
    messages.success(request, _("You no longer follow this."))
    return redirect(next_url(request, default=reverse("alerts:settings")))


@require_POST
@limit("follows")
def follow(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The follow button of a proposal or a project (`follow=0` stops following)."""
    target: Proposal | Project
    if kind == "vorschlag":
        target = get_object_or_404(Proposal.objects.select_related("project"), pk=pk)
        if not rules.may_view_proposal(request.user, target):
            raise Http404
    elif kind == "projekt":
        target = get_object_or_404(Project, pk=pk)
        if not rules.may_view_project(request.user, target):
            raise Http404
    else:
        raise Http404
    back = next_url(request, default=target.get_absolute_url())
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    wanted = request.POST.get("follow", "1") != "0"
    try:
        if isinstance(target, Proposal):
            services.proposal_follow(user=request.user, proposal=target, follow=wanted)
        else:
            services.project_follow(user=request.user, project=target, follow=wanted)
    except PermissionDenied as denied:
        return refusal(request, denied)
    messages.success(
        request, _("You follow this now.") if wanted else _("You no longer follow this.")
    )
    return redirect(back)


# The link in every alert e-mail: it must work without signing in, and a mail client's
# one-click POST (RFC 8058) carries no CSRF token; the signed token is what authorises it.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = mail.user_id_from_token(token)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise Http404
    done = False
    if request.method == "POST":
        services.unsubscribe_all(user=user)
        done = True
    return render(request, "alerts/unsubscribe.html", {"done": done, "token": token})


# ---- Implementation ("Umsetzung") -------------------------------------------------------


@require_safe
def implementation_list(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    project = None
    if slug is not None:
        project = get_object_or_404(Project, slug=slug)
        if not rules.may_view_project(request.user, project):
            raise Http404
    proposals = list(selectors.implementation(request.user, project=project))
    return render(
        request,
        "alerts/implementation.html",
        {
            "project": project,
            "proposals": proposals,
            "map": _implementation_map(proposals, project),
        },
    )


def _implementation_map(proposals: list[Proposal], project: Project | None) -> RenderedMap:
    m = base_map(
        label=_("Map of accepted and implemented proposals"),
        css_class="mmk-map--project",
        zoom_snap=0.25,
        location=centre(),
        zoom_start=12,
    )
    if project is not None:
        folium.GeoJson(
            {
                "type": "Feature",
                "geometry": json.loads(project.perimeter.geojson),
                "properties": {"style": PERIMETER_STYLE},
            },
            name="perimeter",
            control=False,
            interactive=False,
        ).add_to(m)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.location.x, p.location.y]},
            "properties": {"label": f"{p.title}: {p.get_status_display()}"},
        }
        for p in proposals
    ]
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="implementation",
            control=False,
            marker=folium.CircleMarker(radius=8, fill=True, color="#2e7d32", fill_opacity=0.8),
            on_each_feature=TEXT_TOOLTIP,
        ).add_to(m)
    if project is not None:
        xmin, ymin, xmax, ymax = project.perimeter.extent
        m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    elif features:
        xs = [p.location.x for p in proposals]
        ys = [p.location.y for p in proposals]
        m.fit_bounds([[min(ys), min(xs)], [max(ys), max(xs)]], max_zoom=16)
    return render_map(m)


@require_http_methods(["GET", "HEAD", "POST"])
def progress_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff add a dated progress update to an accepted proposal."""
    proposal = get_object_or_404(Proposal.objects.select_related("project"), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not rules.may_report_progress(request.user, proposal):
        return refusal(request, rules.may_report_progress.reason(request.user, proposal) or "")
    form = ProgressForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                services.progress_add(
                    actor=request.user,
                    proposal=proposal,
                    text=form.cleaned_data["text"],
                    stage=form.cleaned_data["stage"],
                    percent=form.cleaned_data["percent"],
                    image=form.cleaned_data["image_upload"],
                    image_alt=form.cleaned_data["image_alt"],
                )
            except ValidationError as error:
                add_service_errors(form, error)  # type: ignore[arg-type]
            else:
                messages.success(request, _("The progress update is published."))
                return redirect(proposal.get_absolute_url() + "#umsetzung")
        status = 400
    return render(
        request,
        "alerts/progress_form.html",
        {"form": form, "proposal": proposal, "updates": selectors.progress_of(proposal)},
        status=status,
    )


@require_safe
def progress_image_file(request: HttpRequest, pk: int, variant: str) -> HttpResponseBase:
    """A progress update's photo, to whoever may open its proposal (404 to anyone else)."""
    update = get_object_or_404(ProgressUpdate.objects.select_related("proposal__project"), pk=pk)
    if not update.image or not rules.may_view_proposal(request.user, update.proposal):
        raise Http404
    public = rules.may_view_proposal(AnonymousUser(), update.proposal)
    name = update.image_thumbnail.name if variant == "thumb" else update.image.name
    return stored_image_response(name or "", public=public)


# ---- The embeddable map -------------------------------------------------------------------


@require_safe
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """A project's map for other sites' pages: pins, legend, a link to take part.

    Framed only by the origins in EMBED_FRAME_ANCESTORS (this page's CSP); it renders no form
    and reads no session, so an anonymous viewer gets no cookie.
    """
    project = get_object_or_404(
        projects_visible_to(request.user).filter(is_published=True), slug=slug
    )
    response = render(
        request,
        "alerts/embed.html",
        {
            "project": project,
            "map": project_map(project, pins_url=pins_url(project)),
            "categories": Category.objects.filter(project=project).order_by("position", "name"),
            "take_part_url": mail.absolute_url(project.get_absolute_url()),
        },
    )
    ancestors = list(settings.EMBED_FRAME_ANCESTORS) or ["'none'"]
    response._csp_replace = {"frame-ancestors": ancestors}  # type: ignore[attr-defined]
    # Django's X-Frame-Options: DENY would refuse every frame; the CSP above decides here.
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


@require_safe
def embed_code_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(
        projects_visible_to(request.user).filter(is_published=True), slug=slug
    )
    return render(
        request,
        "alerts/embed_code.html",
        {
            "project": project,
            "code": embed_code(project),
            "allowed": settings.EMBED_FRAME_ANCESTORS,
        },
    )


def embed_code(project: Project) -> str:
    src = mail.absolute_url(reverse("alerts:embed", args=[project.slug]))
    title = _("Map of the project “%(title)s”") % {"title": project.title}
    return (
        f'<iframe src="{src}" title="{escape(title)}" width="100%" height="480" '
        'style="border:0" loading="lazy"></iframe>'
    )
