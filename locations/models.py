"""Sites the city curates: squares, lots, buildings, candidate locations."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo.crs import STORAGE_SRID


class Site(models.Model):
    """A place the city names.

    Every site has a point (`location`), the place its marker stands and the one distances are
    measured from; a site with an extent also has its `outline`. Two typed columns rather than one
    mixed geometry column: each keeps one geometry type (so exports to Shapefile and GeoPackage
    stay single-typed and map code needs no branching), both are spatially indexed, and a
    constraint keeps the point inside the outline.
    """

    class Kind(models.TextChoices):
        SQUARE = "square", _("Square")
        LOT = "lot", _("Vacant lot")
        BUILDING = "building", _("Building")
        STREET_SPACE = "street_space", _("Street space")
        PARK = "park", _("Park or green space")
        CANDIDATE = "candidate", _("Candidate location")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("description"), blank=True)
    location = models.PointField(_("location"), srid=STORAGE_SRID, spatial_index=True)
    outline = models.MultiPolygonField(
        _("outline"), srid=STORAGE_SRID, null=True, blank=True, spatial_index=True
    )
    district = models.ForeignKey(
        "geo.Area",
        verbose_name=_("district"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="sites",
        help_text=_("Derived from the location."),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True
    )
    is_approximate = models.BooleanField(_("approximate geometry"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(outline__isvalid=True), name="site_outline_valid"),
            models.CheckConstraint(
                condition=Q(outline__isnull=True) | Q(outline__intersects=models.F("location")),
                name="site_location_in_outline",
            ),
        ]

    def __str__(self) -> str:
        return self.name
