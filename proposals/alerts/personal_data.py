"""Alerts' part of a person's data export and account deletion (registered in AlertsConfig)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from proposals.alerts.models import AlertSettings, Frequency, Notice, Subscription


def export(user: User) -> dict[str, Any]:
    """What alerts keep about the person: the setting, what they follow, their notices."""
    setting = AlertSettings.objects.filter(user=user).first()
    subscriptions = (
        Subscription.objects.filter(user=user)
        .select_related("proposal", "project", "district", "site")
        .prefetch_related("in_projects", "in_categories")
        .order_by("created_at", "pk")
    )
    notices = Notice.objects.filter(user=user).order_by("created_at", "pk")
    return {
        "alert_settings": {"frequency": setting.frequency if setting else Frequency.IMMEDIATE},
        "subscriptions": [
            {
                "kind": s.kind,
                "proposal": s.proposal_id,
                "project": s.project.slug if s.project else None,
                "district": s.district.slug if s.district else None,
                "site": s.site.slug if s.site else None,
                "radius_m": s.radius_m,
                "area_epsg25832": s.region.wkt if s.region is not None else None,
                "only_projects": [p.slug for p in s.in_projects.all()],
                "only_categories": [c.name for c in s.in_categories.all()],
                "created_at": s.created_at.isoformat(),
            }
            for s in subscriptions
        ],
        "alert_notices": [
            {
                "event": n.event,
                "proposal": n.proposal_id,
                "created_at": n.created_at.isoformat(),
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
            }
            for n in notices
        ],
    }


def erase(user: User) -> None:
    """Follows and notices are about this person only: they go with the account, said here
    rather than left to the cascade. Progress updates a staff member wrote stay (SET_NULL)."""
    Notice.objects.filter(user=user).delete()
    Subscription.objects.filter(user=user).delete()
    AlertSettings.objects.filter(user=user).delete()
