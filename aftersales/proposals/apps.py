from django.utils.translation import gettext_lazy as _

from aftersales.core.apps import DomainConfig


class ProposalsConfig(DomainConfig):
    name = "aftersales.proposals"
    label = "proposals"
    verbose_name = _("Proposals")
    work = ("proposals_work",)
    # P5 / P7 / P9 due dates live on study requests, reserves and notices, not
    # on one state: the engine's one deadline task runs this beside the
    # per-state deadlines.
    deadline_sources = ("aftersales.proposals.services.deadlines.remind_and_escalate",)
