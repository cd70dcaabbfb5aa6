"""The types of "a person": who makes a request (signed in or not), and a signed-in account."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

# What `request.user` holds with our settings (django.contrib.auth's own User model).
Person = User | AnonymousUser


def signed_in(person: Person) -> User:
    """`person` as an account: writes are made by accounts only.

    The rules refuse anonymous visitors before any write; this is the type's side of that, and
    a second line if a caller forgot the rule.
    """
    if not isinstance(person, User):
        raise PermissionDenied(_("Please sign in to take part."))
    return person
