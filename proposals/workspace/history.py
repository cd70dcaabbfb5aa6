"""The review page's history: audit entries of a proposal told as sentences a planner reads."""

from __future__ import annotations

from typing import Any

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from proposals.models import Proposal

NONE = "\u2013"  # an en dash where there is nothing to name

# Field names of an edit, as the form labels them.
FIELDS = {
    "title": gettext_lazy("title"),
    "description": gettext_lazy("description"),
    "category": gettext_lazy("category"),
    "location": gettext_lazy("location"),
}


def _status(value: Any) -> str:
    try:
        return str(Proposal.Status(value).label)
    except ValueError:
        return str(value)


def _visibility(value: Any) -> str:
    try:
        return str(Proposal.Visibility(value).label)
    except ValueError:
        return str(value)


def _ids(values: Any) -> str:
    return ", ".join(f"#{v}" for v in values or []) or NONE


def describe(action: str, before: Any, after: Any, reason: str = "", object_id: str = "") -> str:
    """One sentence for one audit entry; an action this module does not know keeps its code.
    `object_id` names the photo of a photo's entry (a proposal may have several)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    if action == "proposal.transition":
        return _(
            "Status changed from “%(old)s” to “%(new)s”; response by %(office)s: “%(text)s”"
        ) % {
            "old": _status(before.get("status")),
            "new": _status(after.get("status")),
            "office": after.get("office") or NONE,
            "text": Truncator(str(after.get("response") or "")).words(30),
        }
    if action in ("proposal.approve", "proposal.hide", "proposal.restore"):
        sentence = {
            "proposal.approve": _("Approved by moderation; now “%(visibility)s”."),
            "proposal.hide": _("Hidden by moderation; now “%(visibility)s”."),
            "proposal.restore": _("Shown again; now “%(visibility)s”."),
        }[action] % {"visibility": _visibility(after.get("visibility"))}
        why = after.get("moderation_reason") or reason
        return f"{sentence} {_('Reason: %(reason)s') % {'reason': why}}" if why else sentence
    if action == "proposal.edit":
        changed = [str(FIELDS.get(name, name)) for name in after]
        return _("Edited: %(fields)s.") % {"fields": ", ".join(changed) or NONE}
    if action == "proposal.merge":
        return _("Merged into proposal #%(target)s as a duplicate.") % {
            "target": after.get("merged_into", "?")
        }
    if action in ("proposal.link", "proposal.unlink"):
        return _("Related proposals changed from %(old)s to %(new)s.") % {
            "old": _ids(before.get("related")),
            "new": _ids(after.get("related")),
        }
    if action in ("photo.hide", "photo.restore"):
        if action == "photo.restore":
            return _("Photo #%(id)s shown again.") % {"id": object_id or "?"}
        return _("Photo #%(id)s hidden by moderation. Reason: %(reason)s") % {
            "id": object_id or "?",
            "reason": after.get("moderation_reason") or reason or NONE,
        }
    if action == "report.create":
        return _("Reported: %(reason)s") % {"reason": reason or NONE}
    return action
