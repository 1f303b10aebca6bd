from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "aftersales.proposals"
    label = "proposals"
    verbose_name = _("Proposals")

    def ready(self):
        from aftersales.core.work import register_work
        from aftersales.core.workflow import deadline_source
        from aftersales.proposals.services import remind_and_escalate
        from aftersales.proposals.work import proposals_work

        register_work(proposals_work)
        # P5 / P7 / P9 due dates live on study requests, reserves and notices,
        # not on one state: the engine's one deadline task runs this beside
        # the per-state deadlines.
        deadline_source(remind_and_escalate)
