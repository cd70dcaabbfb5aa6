"""Reads of named areas."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.gis.geos import Point
from django.db.models import QuerySet

from geo.models import Area


def districts() -> QuerySet[Area]:
    return Area.objects.filter(kind=Area.Kind.DISTRICT)


def district_at(point: Point) -> Area | None:
    """The district covering a point; on a shared border the lowest id, so the answer is stable."""
    return districts().filter(geometry__covers=point).order_by("pk").first()


def city_point() -> Point | None:
    """A point on the city boundary's surface (by PostGIS), where maps without data centre."""
    return (
        Area.objects.filter(kind=Area.Kind.CITY)
        .order_by("pk")
        .annotate(point=PointOnSurface("geometry"))
        .values_list("point", flat=True)
        .first()
    )
