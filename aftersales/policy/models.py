from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from aftersales.core.models import WorkflowModel
from aftersales.core.workflow import Workflow


class PolicyVersion(WorkflowModel):
    """One version of the regulation's numbers (Q3, Q14, I3).

    A draft is edited, the general manager approves it, and from
    ``effective_from`` it is the policy in force. Approved versions never
    change; a record that was judged by a version keeps a link to it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        WITHDRAWN = "withdrawn", _("withdrawn")

    number = models.PositiveIntegerField(_("number"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    values = models.JSONField(_("values"), default=dict)
    note = models.TextField(_("reason for the change"), blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Version 1 is recorded as approved at installation, with the regulation's defaults.
    installed = models.BooleanField(_("installed default"), default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        permissions = [("approve_policyversion", _("Can approve a policy version"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(effective_from__isnull=False, approved_at__isnull=False),
                name="approved_policy_has_date",
            )
        ]
        indexes = [models.Index(fields=["status", "effective_from"])]

    def __str__(self):
        return _("Policy version %(n)s") % {"n": self.number}

    def get_absolute_url(self):
        return reverse("policy:detail", args=[self.number])

    def value(self, key: str):
        from aftersales.policy.registry import KEYS

        if key in self.values:
            return self.values[key]
        # A key added by a later release: its default, until a version sets it.
        return KEYS[key].clean(KEYS[key].default)


# Q3 / Q14 / I3: a draft is approved by the general manager only, or
# withdrawn; approved and withdrawn versions never change again.
TRANSITIONS = {
    PolicyVersion.Status.DRAFT: {PolicyVersion.Status.APPROVED, PolicyVersion.Status.WITHDRAWN},
    PolicyVersion.Status.APPROVED: set(),
    PolicyVersion.Status.WITHDRAWN: set(),
}


def _may_move(user, version, new) -> bool:
    from aftersales.core.permissions import can

    if new == PolicyVersion.Status.APPROVED:
        return can(user, "policy.approve_policyversion")
    return can(user, "policy.change_policyversion")


def _denied(new):
    if new == PolicyVersion.Status.APPROVED:
        return _("Only the general manager can approve the policy.")
    return _("You do not have permission to do this.")


POLICY_FLOW = Workflow(
    model=PolicyVersion,
    table=TRANSITIONS,
    label=_("policy version"),
    may=_may_move,
    denied=_denied,
)
