"""Pages of one's own account: profile, data export, deletion. Thin views over services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts import services
from accounts.forms import AccountDeleteForm, ProfileForm
from accounts.models import Profile
from accounts.selectors import account_data, display_name
from accounts.types import signed_in


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in(request.user)  # login_required let only accounts in
    current = Profile.objects.filter(user=user).first()
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"display_name": current.display_name if current else ""},
    )
    if form.is_bound and form.is_valid():
        try:
            services.profile_update(user=user, display_name=form.cleaned_data["display_name"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "shown_as": display_name(user)},
        status=400 if form.is_bound else 200,
    )


@never_cache
@login_required
@require_safe
def data_export(request: HttpRequest) -> HttpResponse:
    """Everything about the person as a JSON file (GDPR Art. 15 and 20)."""
    data = {"exported_at": timezone.now().isoformat(), **account_data(signed_in(request.user))}
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"mitmachkarte-{request.user.pk}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.account_delete(
                user=signed_in(request.user), password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            logout(request)
            messages.success(request, _("Your account is deleted."))
            return redirect("proposals:home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


def _add_errors(form: ProfileForm | AccountDeleteForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(None if field == NON_FIELD_ERRORS else field, errors)
