"""Our adjustments to django-allauth's sign-up and login."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username: str, shallow: bool = False) -> Any:
        # An "@" would let a login name pose as an e-mail address (and login by either would
        # be ambiguous).
        if "@" in username:
            raise ValidationError(_("A username cannot contain “@”."), code="username_at")
        return super().clean_username(username, shallow=shallow)
