"""Roles are Django groups; these are their stable names (what people see is translated)."""

from django.utils.translation import gettext_lazy as _

CITIZEN = "citizen"
PLANNER = "planner"
GIS_STAFF = "gis_staff"

LABELS = {CITIZEN: _("Citizen"), PLANNER: _("Planner"), GIS_STAFF: _("GIS staff")}
