"""Forms of accounts: the extra sign-up field, the profile, and deleting one's account."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import Profile
from accounts.services import account_setup


def _display_name_field() -> forms.CharField:
    field = Profile._meta.get_field("display_name")
    return forms.CharField(
        label=_("Display name"),
        required=False,
        max_length=field.max_length,
        help_text=field.help_text,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )


class SignupForm(forms.Form):
    """allauth's sign-up form extends this (ACCOUNT_SIGNUP_FORM_CLASS) by the public name."""

    display_name = _display_name_field()

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            return name
        profile = Profile(display_name=name)
        try:
            profile.clean_fields(exclude=["user"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["display_name"]) from exc
        if Profile.objects.filter(display_name__iexact=name).exists():
            raise ValidationError(_("This display name is already taken."))
        return name

    def signup(self, request: HttpRequest, user: User) -> None:
        try:
            account_setup(user=user, display_name=self.cleaned_data.get("display_name", ""))
        except ValidationError:
            # Someone took the name a moment ago: the account is made all the same, with the
            # neutral name, which the person can change on the profile page.
            account_setup(user=user)


class ProfileForm(forms.Form):
    display_name = _display_name_field()


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To make sure it is you."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my votes are deleted for good."),
        required=True,
    )
