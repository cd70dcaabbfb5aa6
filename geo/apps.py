from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Areas and maps")

    def ready(self) -> None:
        from geo import exports

        exports.register_dataset(exports.DISTRICTS)
