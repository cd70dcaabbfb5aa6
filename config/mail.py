"""Which e-mail backend the environment asks for: console, files, or an SMTP server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

CONSOLE = "django.core.mail.backends.console.EmailBackend"
FILES = "django.core.mail.backends.filebased.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@dataclass(frozen=True)
class EmailSettings:
    backend: str
    file_path: str | None = None
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


def email_settings(*, debug: bool) -> EmailSettings:
    """Files if EMAIL_BACKEND_FILE_PATH is set, else SMTP if EMAIL_URL or EMAIL_HOST is, else
    the console in development (DJANGO_DEBUG) and an SMTP server on localhost in production."""
    file_path = os.environ.get("EMAIL_BACKEND_FILE_PATH")
    if file_path:
        return EmailSettings(backend=FILES, file_path=file_path)
    if url := os.environ.get("EMAIL_URL"):
        return _from_url(url)
    if os.environ.get("EMAIL_HOST"):
        use_tls = env_bool("EMAIL_USE_TLS", default=False)
        use_ssl = env_bool("EMAIL_USE_SSL", default=False)
        return _smtp(
            host=env_str("EMAIL_HOST"),
            port=env_int("EMAIL_PORT", 465 if use_ssl else 587 if use_tls else 25),
            user=env_str("EMAIL_HOST_USER", ""),
            password=env_str("EMAIL_HOST_PASSWORD", ""),
            use_tls=use_tls,
            use_ssl=use_ssl,
        )
    return EmailSettings(backend=CONSOLE if debug else SMTP)


def _from_url(url: str) -> EmailSettings:
    """`smtp://user:password@host:port` (STARTTLS with `?tls=true` or scheme `smtp+tls`),
    `smtps://…` for implicit TLS."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+tls", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp://user:password@host:587?tls=true or smtps://…"
        )
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    use_ssl = parts.scheme == "smtps" or query.get("ssl") in ("1", "true", "yes")
    use_tls = parts.scheme == "smtp+tls" or query.get("tls") in ("1", "true", "yes")
    return _smtp(
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 587 if use_tls else 25),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )


def _smtp(**kwargs: object) -> EmailSettings:
    settings = EmailSettings(backend=SMTP, **kwargs)  # type: ignore[arg-type]
    if settings.use_tls and settings.use_ssl:
        raise ImproperlyConfigured("Choose STARTTLS (EMAIL_USE_TLS) or SSL (EMAIL_USE_SSL).")
    return settings
