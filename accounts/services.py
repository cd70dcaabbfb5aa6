"""Writes about accounts: setting up a new account, the profile, deleting one's own account."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import personal_data, roles
from accounts.models import AccessToken, Profile
from audit.services import log_action


@transaction.atomic
def account_setup(*, user: User, display_name: str = "") -> Profile:
    """What a new sign-up gets besides the account: the citizen role and a profile."""
    user.groups.add(Group.objects.get_or_create(name=roles.CITIZEN)[0])
    return profile_update(user=user, display_name=display_name)


@transaction.atomic
def profile_update(*, user: User, display_name: str) -> Profile:
    """Create or change the person's profile; the display name is unique ignoring case."""
    display_name = " ".join(display_name.split())
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    profile.display_name = display_name
    if (
        display_name
        and Profile.objects.filter(display_name__iexact=display_name).exclude(user=user).exists()
    ):
        raise ValidationError({"display_name": _("This display name is already taken.")})
    profile.full_clean()
    try:
        # A savepoint: a concurrent sign-up with the same name must not break the caller's
        # transaction, only this save.
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:
        raise ValidationError({"display_name": _("This display name is already taken.")}) from exc
    return profile


@transaction.atomic
def account_delete(*, user: User, password: str) -> None:
    """Delete the person's account after checking the password.

    Each app first erases its part (accounts.personal_data: participation deletes the votes,
    while proposals and comments stay without an author); the profile and e-mail addresses go
    with the account (CASCADE). All in one transaction: a refusal keeps everything.
    """
    if not user.has_usable_password() or not user.check_password(password):
        raise ValidationError({"password": _("The password is not correct.")})
    for part in personal_data.parts():
        if part.erase is not None:
            part.erase(user)
    try:
        user.delete()
    except ProtectedError as exc:
        # Staff who answered proposals or acted in the audit log: the record must keep them.
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "This account signed official responses or staff actions, which must stay "
                    "on record. Please ask an administrator to deactivate it instead."
                )
            }
        ) from exc


# Personal access tokens (see AccessToken): made and revoked by their owner, audited.

TOKEN_PREFIX = "mmk"  # noqa: S105 - the tokens' visible marker, no secret
# Days a token may live: long enough for a desktop GIS, never forever.
TOKEN_MAX_DAYS = 365
TOKEN_DEFAULT_DAYS = 90
# A token's last use is written at most this often: a GIS fetching pages must not write a row
# per request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_digest(secret: str) -> str:
    """SHA-256 of the whole token. The secret is 256 random bits: a fast hash is enough, a
    slow one (as for passwords) would only slow every request."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def access_token_create(*, user: Any, name: str, days: int) -> tuple[AccessToken, str]:
    """A new token for `user`, valid for `days`; returns it and the secret, shown only now."""
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("Choose between 1 and %(max)d days.") % {"max": TOKEN_MAX_DAYS}}
        )
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = AccessToken(
        user=user,
        name=" ".join(name.split()),
        prefix=prefix,
        digest=token_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    log_action(
        actor=user,
        action="access_token.create",
        obj=token,
        after={"name": token.name, "prefix": prefix, "expires_at": token.expires_at.isoformat()},
    )
    return token, secret


@transaction.atomic
def access_token_revoke(*, user: Any, token_id: int) -> AccessToken:
    """Revoke one of `user`'s own tokens (another's is no token of theirs: not found)."""
    token = AccessToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if token is None:
        raise ValidationError(_("There is no such token of yours."), code="not_found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_action(
            actor=user,
            action="access_token.revoke",
            obj=token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def access_token_user(secret: str) -> Any | None:
    """The active account a valid, unexpired, unrevoked token belongs to, or None.

    Notes the token's use (at most once a minute).
    """
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(secret) > 200:
        return None
    now = timezone.now()
    token = (
        AccessToken.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, token_digest(secret)):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
