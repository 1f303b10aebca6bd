from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "aftersales.policy"
    label = "policy"
    verbose_name = _("Policy")

    def ready(self):
        from aftersales.core.work import register_work
        from aftersales.policy.work import policy_work

        register_work(policy_work)
