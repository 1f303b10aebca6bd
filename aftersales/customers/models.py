from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from aftersales.core.models import BaseModel


class Customer(BaseModel):
    """Someone who sends proposals (P4): a person or an organisation."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        ORGANISATION = "organisation", _("organisation")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Personal data removed on the customer's request (PIPL); records stay.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    anonymised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("anonymize_customer", _("Can anonymise a customer's personal data"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:detail", args=[self.pk])

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    def primary(self, kind: str) -> str:
        """First contact of a kind, from prefetched contacts (no query when prefetched)."""
        for contact in self.contacts.all():
            if contact.kind == kind:
                return contact.value
        return ""

    @property
    def email(self) -> str:
        return self.primary(ContactPoint.Kind.EMAIL)

    @property
    def phone(self) -> str:
        return self.primary(ContactPoint.Kind.PHONE)

    @property
    def postal_address(self) -> str:
        return self.primary(ContactPoint.Kind.POSTAL)


class ContactPoint(BaseModel):
    """One way to reach a customer. Email and phone are unique across customers
    once normalised (lower-cased email, E.164 phone), which is how duplicates
    are found."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("email")
        PHONE = "phone", _("phone")
        POSTAL = "postal", _("postal address")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=500)
    normalized = models.CharField(max_length=500, blank=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "normalized"],
                condition=Q(kind__in=["email", "phone"]) & ~Q(normalized=""),
                name="contact_unique_normalized",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"
