"""Our adjustments to django-allauth's sign-up and login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Platform:
    """What allauth's e-mails call `current_site`: the platform's name and its public host."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Without django.contrib.sites allauth names the request's host ("Hallo von
        # 127.0.0.1:8101!"); people should read the platform's name and its public address.
        host = urlsplit(settings.SITE_URL).netloc
        request = context.get("request")
        if not host and request is not None:
            host = request.get_host()
        platform = Platform(name=settings.PLATFORM_NAME, domain=host)
        super().send_mail(template_prefix, email, {**context, "current_site": platform})

    def clean_username(self, username: str, shallow: bool = False) -> Any:
        # An "@" would let a login name pose as an e-mail address (and login by either would
        # be ambiguous).
        if "@" in username:
            raise ValidationError(_("A username cannot contain “@”."), code="username_at")
        return super().clean_username(username, shallow=shallow)
