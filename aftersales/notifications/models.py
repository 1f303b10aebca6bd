from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """Placeholder until the outbox lands."""

    class Meta:
        permissions = [
            ("retry_message", _("Can retry a failed message")),
            ("handle_offline_message", _("Can print letters and complete call tasks")),
        ]
