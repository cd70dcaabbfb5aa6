from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LocationsConfig(AppConfig):
    name = "locations"
    verbose_name = _("Sites")

    def ready(self) -> None:
        from geo.exports import register_dataset
        from locations.exports import SITES

        register_dataset(SITES)
