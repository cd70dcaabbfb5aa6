"""App configuration of proposals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("Participation")

    def ready(self) -> None:
        # Imported here: models are not ready while app configs are imported.
        from accounts import personal_data
        from geo.exports import register_dataset, register_scope_lookup
        from proposals import personal_data as ours
        from proposals.exports import PROPOSALS, project_scope

        personal_data.register(self.label, export=ours.export, erase=ours.erase)
        register_dataset(PROPOSALS)
        register_scope_lookup(project_scope)
