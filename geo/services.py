"""Writes of named areas (city boundary, districts)."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from geo.models import Area
from geo.validation import as_storage_multipolygon


@transaction.atomic
def area_save(
    *,
    name: str,
    slug: str,
    kind: str,
    geometry: GEOSGeometry,
    population: int | None = None,
    external_id: str | None = None,
    source: str = "",
    is_approximate: bool = False,
) -> Area:
    """Create or update (by slug) an area after validating its geometry."""
    area = Area.objects.filter(slug=slug).first() or Area(slug=slug)
    area.name = name
    area.kind = kind
    area.geometry = as_storage_multipolygon(geometry, field="geometry")
    area.population = population
    area.external_id = external_id or None
    area.source = source
    area.is_approximate = is_approximate
    area.full_clean()
    area.save()
    return area
