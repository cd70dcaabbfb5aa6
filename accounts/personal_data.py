"""A person's data across the apps: each app registers its part of the data export and of
the deletion of an account, in its `AppConfig.ready()`.

So accounts, which sits below the domain, never imports the apps that keep data about a
person; an app that starts keeping some (surveys, alerts) adds its part where it lives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured

Export = Callable[[User], dict[str, Any]]
Erase = Callable[[User], None]


@dataclass(frozen=True)
class Part:
    app_label: str
    export: Export
    erase: Erase | None = None


_parts: dict[str, Part] = {}


def register(app_label: str, *, export: Export, erase: Erase | None = None) -> None:
    """Add an app's part (again: registering twice replaces, as a reloaded app config would).

    `export(user)` returns the app's sections of the export, `{name: JSON-ready data}`.
    `erase(user)` removes what must not outlive the account; it runs in the deletion's
    transaction before the user row goes, so whatever it refuses keeps the account whole.
    """
    _parts[app_label] = Part(app_label, export, erase)


def parts() -> list[Part]:
    """The registered parts, in the order the apps registered them (INSTALLED_APPS)."""
    return list(_parts.values())


def merge_sections(sections: dict[str, Any], part: Part, user: User) -> None:
    """Add `part`'s sections to `sections`; two apps claiming one name is a wiring error."""
    theirs = part.export(user)
    taken = sections.keys() & theirs.keys()
    if taken:
        raise ImproperlyConfigured(
            f"{part.app_label} exports sections that exist already: {', '.join(sorted(taken))}"
        )
    sections.update(theirs)
