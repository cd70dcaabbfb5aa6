"""Named areas every app refers to: the city boundary and its districts."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.crs import STORAGE_SRID


class Area(models.Model):
    class Kind(models.TextChoices):
        CITY = "city", _("City boundary")
        DISTRICT = "district", _("District")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    geometry = models.MultiPolygonField(_("geometry"), srid=STORAGE_SRID, spatial_index=True)
    population = models.PositiveIntegerField(
        _("population"), null=True, blank=True, help_text=_("Residents, where known.")
    )
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Identifier in the source data set, used when importing again."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_approximate = models.BooleanField(
        _("approximate geometry"),
        default=False,
        help_text=_("The outline is a simplification, not the official boundary."),
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(geometry__isvalid=True), name="area_geometry_valid"),
        ]

    def __str__(self) -> str:
        return self.name
