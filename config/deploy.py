"""What production needs at start: settings without a usable default are checked here, so a
missing one stops the start with a message naming it instead of failing at the first request."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

DEV_SECRET = "insecure-development-key-never-used-in-production"  # noqa: S105


def check_required(
    *, debug: bool, secret_key: str, allowed_hosts: list[str], site_url: str
) -> None:
    if debug:
        return
    problems = []
    if not secret_key or secret_key == DEV_SECRET:
        problems.append(
            "DJANGO_SECRET_KEY: set it to 50 or more random characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if not allowed_hosts:
        problems.append(
            "DJANGO_ALLOWED_HOSTS: the host names the site answers to, comma-separated "
            "(e.g. mitmachen.example.org)"
        )
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(
            "SITE_URL: the public address for links in e-mails, e.g. https://mitmachen.example.org"
            + (f" (not {site_url!r})" if site_url else "")
        )
    if problems:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off (production), and these settings are missing or wrong:\n  "
            + "\n  ".join(problems)
        )
