"""Writes of sites: geometry validated and the district derived, never typed in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.gis.geos import GEOSGeometry, WKTWriter
from django.db import transaction
from django.utils.text import slugify

from accounts.types import Person
from audit.services import log_action
from geo.selectors import district_at
from geo.validation import as_storage_multipolygon, as_storage_point
from locations.models import Site


@transaction.atomic
def site_save(
    *,
    site: Site | None = None,
    name: str,
    kind: str = Site.Kind.OTHER,
    location: GEOSGeometry | None = None,
    outline: GEOSGeometry | None = None,
    description: str = "",
    attributes: dict[str, Any] | None = None,
    external_id: str | None = None,
    slug: str | None = None,
    is_approximate: bool = False,
    actor: Person | None = None,
) -> Site:
    """Create a site, or update `site`; without a location, the point goes on the outline.

    A person's edit (`actor`, e.g. in the admin) is audited with the fields it changed.
    """
    site = site or Site(created_by=actor if isinstance(actor, User) else None)
    before = _snapshot(Site.objects.get(pk=site.pk)) if site.pk else None
    site.outline = as_storage_multipolygon(outline, field="outline") if outline else None
    if location is None and site.outline is not None:
        # ST_PointOnSurface, not the centroid: an L-shaped square's centroid can lie outside it.
        location = site.outline.point_on_surface
    site.location = as_storage_point(location)
    site.name = name.strip()
    site.slug = slug or site.slug or _unique_slug(site.name)
    site.kind = kind
    site.description = description
    site.attributes = attributes or {}
    site.external_id = external_id or None
    site.is_approximate = is_approximate
    site.district = district_at(site.location)
    # GeoDjango cannot evaluate the outline constraints on a NULL outline in Python (IsValid
    # refuses NULL); without an outline they hold trivially, and the database checks them anyway.
    site.full_clean(exclude=["outline"] if site.outline is None else None)
    site.save()
    if getattr(actor, "is_authenticated", False):
        after = _snapshot(site)
        changed = [k for k in after if before is None or before[k] != after[k]]
        if changed:
            log_action(
                actor=actor,
                action="site.update" if before is not None else "site.create",
                obj=site,
                before={k: before[k] for k in changed} if before is not None else None,
                after={k: after[k] for k in changed},
            )
    return site


# Coordinates to about a centimetre, so that the widget's round trip shows as no change.
_WKT = WKTWriter(trim=True, precision=7)


def _snapshot(site: Site) -> dict[str, Any]:
    """A site's fields as JSON values for the audit log."""
    return {
        "name": site.name,
        "slug": site.slug,
        "kind": site.kind,
        "description": site.description,
        # Rounded to about a centimetre: the map widget's round trip through EPSG:3857 is no edit.
        "location": [round(site.location.x, 7), round(site.location.y, 7)],
        "outline": _WKT.write(site.outline).decode() if site.outline is not None else None,
        "district": site.district_id,
        "is_approximate": site.is_approximate,
        "attributes": site.attributes,
        "external_id": site.external_id,
    }


def _unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "ort"
    slug, n = base, 2
    while Site.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
