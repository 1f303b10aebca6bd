from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "aftersales.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from aftersales.core.work import WORK_PROVIDERS, register_work
        from aftersales.notifications.work import offline_work

        # ready() can run more than once under some test runners: register once.
        if offline_work not in WORK_PROVIDERS:
            register_work(offline_work)
