"""Writes about accounts: setting up a new account, the profile, deleting one's own account."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts import personal_data, roles
from accounts.models import Profile


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
