from django.utils.translation import gettext_lazy as _

from aftersales.core.apps import DomainConfig


class PolicyConfig(DomainConfig):
    name = "aftersales.policy"
    label = "policy"
    verbose_name = _("Policy")
    work = ("policy_work",)
