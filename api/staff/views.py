"""Pages for GIS staff about the machine interfaces: the data page (every download and the OGC
address, with how to connect QGIS) and their personal access tokens. Thin views over the
exports' catalogue and the token services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import access_tokens_of
from accounts.services import access_token_create, access_token_revoke
from api.exports.views import download_catalogue
from api.staff.forms import AccessTokenForm
from api.v1.tiles import TILE_LAYERS
from proposals import rules


def _gis_staff(request: HttpRequest) -> Any:
    """The signed-in GIS staff member (or planner), else the refusal page with the reason."""
    rules.may_export.enforce(request.user)
    return request.user


@require_safe
def data(request: HttpRequest) -> HttpResponse:
    try:
        _gis_staff(request)
    except PermissionDenied:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise
    ogc = request.build_absolute_uri(reverse("ogc:landing"))
    return render(
        request,
        "staff/data.html",
        {
            "datasets": download_catalogue(request),
            "ogc_url": ogc,
            "exports_url": request.build_absolute_uri(reverse("exports:index")),
            "tilejson_urls": [
                request.build_absolute_uri(reverse("api-v1:tilejson", kwargs={"layer": name}))
                for name in TILE_LAYERS
            ],
            "catalog_url": request.build_absolute_uri(reverse("api-catalog")),
            "username": request.user.get_username(),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = _gis_staff(request)
    form = AccessTokenForm(request.POST if request.POST.get("action") == "create" else None)
    created_secret = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        try:
            token_id = int(request.POST.get("token", ""))
            access_token_revoke(user=user, token_id=token_id)
        except (ValueError, ValidationError):
            return render(request, "staff/tokens.html", _context(user, form, None), status=400)
    elif form.is_bound and form.is_valid():
        try:
            _token, created_secret = access_token_create(
                user=user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form = AccessTokenForm()
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "staff/tokens.html", _context(user, form, created_secret), status=status)


def _context(user: Any, form: AccessTokenForm, created_secret: str | None) -> dict[str, Any]:
    return {
        "form": form,
        "tokens": access_tokens_of(user),
        "created_secret": created_secret,
        "username": user.get_username(),
    }
