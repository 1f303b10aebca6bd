from django.utils.translation import gettext_lazy as _

from aftersales.core.apps import DomainConfig


class NotificationsConfig(DomainConfig):
    name = "aftersales.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
    work = ("offline_work", "undeliverable_work")
