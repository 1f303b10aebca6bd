import hashlib
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

from aftersales.core.models import AppendOnlyModel, BaseModel, KeptQuerySet
from aftersales.core.roles import DELEGABLE_ROLES, Role


class Department(BaseModel):
    """A department of the company. The after-sales service department
    (售后服务部) and the customer service department (客户服务部) are one."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_departments",
    )
    is_aftersales = models.BooleanField(
        _("after-sales service department"),
        default=False,
        help_text=_("The department that carries out the regulation (售后服务部 / 客户服务部)."),
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["is_aftersales"],
                condition=Q(is_aftersales=True),
                name="one_aftersales_dept",
            )
        ]

    def __str__(self):
        return self.name


class StaffProfile(BaseModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="profile"
    )
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="staff"
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    hire_date = models.DateField(_("hire date"))
    # I11(2): new staff are inspected weekly until proficient.
    proficient_since = models.DateField(_("proficient since"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        permissions = [("manage_staff", _("Can manage staff and their roles"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(proficient_since__isnull=True)
                | Q(proficient_since__gte=models.F("hire_date")),
                name="proficient_after_hire",
            )
        ]

    def __str__(self):
        return f"{self.display_name} ({self.employee_no})"

    def get_absolute_url(self):
        return reverse("accounts:staff_detail", args=[self.pk])


class RoleChange(AppendOnlyModel):
    """Append-only log of every role granted or revoked: who, to whom, when."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("granted")
        REVOKED = "revoked", _("revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_changes"
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="role_changes_made",
        null=True,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")

    def __str__(self):
        return f"{self.user} · {self.role} · {self.action}"


class DelegationQuerySet(KeptQuerySet):
    def active(self, on: date | None = None):
        """Delegations in force on ``on`` (today): started, not ended, not revoked."""
        on = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, starts_on__lte=on, ends_on__gte=on)


class Delegation(BaseModel):
    """A manager names a delegate who holds one of their roles for a period."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegator"),
        on_delete=models.PROTECT,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.PROTECT,
        related_name="delegations_received",
    )
    role = models.CharField(
        _("role"), max_length=40, choices=[(r.value, r.label) for r in DELEGABLE_ROLES]
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = DelegationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_period_valid"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self):
        return f"{self.delegator} → {self.delegate} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    PREFIX = "as_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    lookup = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.lookup}…)"

    @staticmethod
    def hash(raw: str) -> str:
        # Tokens carry 256 random bits, so a fast hash is enough; a slow one
        # would only add latency to every API call.
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


# Accounts are kept too: who deactivated someone, or changed their email, and
# when. Password hashes and sign-in times stay out of the trail.
register(
    get_user_model(),
    app="aftersales.accounts",
    excluded_fields=["password", "last_login"],
    table_name="accounts_historicaluser",
)
