"""App configuration of surveys."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # Imported here: models are not ready while app configs are imported.
        from accounts import personal_data
        from surveys import personal_data as ours

        personal_data.register(self.label, export=ours.export, erase=ours.erase)
