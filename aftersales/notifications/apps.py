from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "aftersales.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from aftersales.core.work import register_work
        from aftersales.notifications.work import offline_work, undeliverable_work

        register_work(offline_work)
        register_work(undeliverable_work)
