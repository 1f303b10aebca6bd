from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "aftersales.proposals"
    label = "proposals"
    verbose_name = _("Proposals")

    def ready(self):
        from aftersales.core.work import register_work
        from aftersales.proposals.work import proposals_work

        register_work(proposals_work)
