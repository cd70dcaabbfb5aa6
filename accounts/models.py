"""A person's public profile: the name shown with their contributions (never the e-mail)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Letters of any script, digits, spaces and a few joiners; no "@", so no address can pose as one.
display_name_characters = RegexValidator(
    r"^[\w][\w .'\-]*[\w.]$",
    _("Use letters, digits, spaces, dots, hyphens and apostrophes; no @ or other symbols."),
    code="display_name_characters",
)
# Names that would make a citizen look like the city speaking.
RESERVED_NAMES = {"admin", "administrator", "moderation", "moderator", "stadt", "stadtverwaltung"}


# Unambiguous letters and digits (no 0/O, 1/I/L); 31**8 codes make collisions negligible.
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 8


def new_pseudonym() -> str:
    """A random code for the neutral name ("Participant #K7M2QXPA"): unlike the account id, it
    says nothing about the account, so nobody can look a person up by it."""
    return "".join(secrets.choice(PSEUDONYM_ALPHABET) for _i in range(PSEUDONYM_LENGTH))


def not_reserved(value: str) -> None:
    if value.strip().lower() in RESERVED_NAMES:
        raise ValidationError(_("This name is reserved."), code="display_name_reserved")


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    display_name = models.CharField(
        _("display name"),
        max_length=40,
        blank=True,
        validators=[MinLengthValidator(3), display_name_characters, not_reserved],
        help_text=_(
            "Shown with your proposals and comments. Leave it empty to appear as "
            "“Participant #number”."
        ),
    )
    pseudonym = models.CharField(
        _("pseudonym"),
        max_length=PSEUDONYM_LENGTH,
        unique=True,
        default=new_pseudonym,
        editable=False,
        help_text=_("Random code of the neutral name shown without a display name."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            # "Anna" and "anna" would be the same person to a reader.
            models.UniqueConstraint(
                Lower("display_name"),
                condition=~Q(display_name=""),
                name="profile_display_name_unique_ci",
                violation_error_message=_("This display name is already taken."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or str(self.user_id)


class AccessToken(models.Model):
    """A personal access token: GIS tools (QGIS, GDAL) sign in with it where no browser can.

    Only a SHA-256 digest of the secret is stored; the person sees the token once, when it is
    made. `prefix` finds the row without scanning; it reveals nothing of the secret. A token
    ends at `expires_at` or when revoked; both stay on record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="access_tokens",
    )
    name = models.CharField(
        _("name"), max_length=80, help_text=_("What the token is for, e.g. “QGIS office PC”.")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        """revoked, expired or active."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
