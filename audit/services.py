"""Writing audit entries: called by the service that makes the change, where the change happens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from audit.models import AuditEntry


def log_action(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model,
    project: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        project=project,
        before=before,
        after=after,
        reason=reason,
    )


def log_event(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    object_type: str,
    object_id: str = "",
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """An entry about data rather than one object (an import, an export): what, and counts."""
    return AuditEntry.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        after=after,
        reason=reason,
    )
