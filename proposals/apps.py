from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from geo.exports import register_dataset, register_scope_lookup
        from proposals.exports import PROPOSALS, project_scope

        register_dataset(PROPOSALS)
        register_scope_lookup(project_scope)
