"""App configuration of alerts: follows, area alerts, outcomes, implementation, feeds, embeds."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "proposals.alerts"
    label = "alerts"
    verbose_name = _("Follows and alerts")

    def ready(self) -> None:
        from accounts import personal_data
        from proposals.alerts import personal_data as ours

        personal_data.register(self.label, export=ours.export, erase=ours.erase)
