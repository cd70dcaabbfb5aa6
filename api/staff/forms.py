"""The form of the access token page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.services import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS


class AccessTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “QGIS office PC”."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        initial=TOKEN_DEFAULT_DAYS,
        help_text=_("At most %(max)d days; you can revoke it any time.") % {"max": TOKEN_MAX_DAYS},
    )
