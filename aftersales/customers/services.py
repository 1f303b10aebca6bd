"""Every write about customers."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ConflictError, DomainError, required
from aftersales.core.permissions import can
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.normalize import normalize_email, normalize_phone
from aftersales.notifications.services import messages_anonymise_customer

ANONYMISED_VALUE = "—"


def _normalized_contacts(
    *, email: str = "", phone: str = "", postal_address: str = ""
) -> list[tuple[str, str, str]]:
    """[(kind, value, normalized)], raising DomainError with the bad field named."""
    out, errors = [], {}
    for field, kind, value, normalize in (
        ("email", ContactPoint.Kind.EMAIL, email, normalize_email),
        ("phone", ContactPoint.Kind.PHONE, phone, normalize_phone),
    ):
        try:
            normalized = normalize(value)
        except ValidationError as exc:
            errors[field] = exc.messages[0]
            continue
        if normalized:
            out.append((kind, value.strip(), normalized))
    if postal_address and postal_address.strip():
        out.append((ContactPoint.Kind.POSTAL, postal_address.strip(), ""))
    if errors:
        raise DomainError(
            "invalid_contact", _("Some contact details are not valid."), fields=errors
        )
    return out


def _clean_identity(name, *, email: str, phone: str, postal_address: str):
    """A name and at least one valid way to reach the customer, or DomainError."""
    name = required(
        name, field="name", code="name_required", message=_("Enter the customer's name.")
    )
    contacts = _normalized_contacts(email=email, phone=phone, postal_address=postal_address)
    if not contacts:
        raise DomainError(
            "contact_required",
            _("Give at least one way to reach the customer: email, phone or postal address."),
            fields={"email": _("Required.")},
        )
    return name, contacts


def customer_find(*, email: str = "", phone: str = "") -> Customer | None:
    """The customer already known by this email or phone, if any."""
    contacts = _normalized_contacts(email=email, phone=phone)
    for kind, _value, normalized in contacts:
        match = (
            ContactPoint.objects.filter(kind=kind, normalized=normalized)
            .select_related("customer")
            .first()
        )
        if match:
            return match.customer
    return None


@transaction.atomic
def customer_create(
    *,
    name: str,
    by=None,
    kind: str = Customer.Kind.PERSON,
    organisation: str = "",
    email: str = "",
    phone: str = "",
    postal_address: str = "",
    preferred_language: str = "zh-hans",
    notes: str = "",
) -> Customer:
    name, contacts = _clean_identity(name, email=email, phone=phone, postal_address=postal_address)
    _refuse_duplicates(contacts)
    customer = Customer.objects.create(
        name=name,
        kind=kind,
        organisation=organisation.strip(),
        preferred_language=preferred_language,
        notes=notes,
        created_by=by,
    )
    with _same_contact_added_meanwhile(contacts):
        for contact_kind, value, normalized in contacts:
            ContactPoint.objects.create(
                customer=customer, kind=contact_kind, value=value, normalized=normalized
            )
    return customer


@contextmanager
def _same_contact_added_meanwhile(contacts, exclude_customer: Customer | None = None):
    """Two requests adding one email at once both pass ``_refuse_duplicates``;
    the unique constraint stops the second, which then gets the same message
    as if it had come later, not a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        _refuse_duplicates(contacts, exclude_customer=exclude_customer)
        raise


def _refuse_duplicates(contacts, exclude_customer: Customer | None = None) -> None:
    for kind, _value, normalized in contacts:
        if not normalized:
            continue
        match = ContactPoint.objects.filter(kind=kind, normalized=normalized).select_related(
            "customer"
        )
        if exclude_customer is not None:
            match = match.exclude(customer=exclude_customer)
        existing = match.first()
        if existing:
            field = "email" if kind == ContactPoint.Kind.EMAIL else "phone"
            raise DomainError(
                "duplicate_customer",
                _("A customer with this %(what)s already exists: %(name)s (#%(id)s).")
                % {
                    "what": existing.get_kind_display(),
                    "name": existing.customer.name,
                    "id": existing.customer_id,
                },
                fields={
                    field: _("Already used by customer #%(id)s.") % {"id": existing.customer_id}
                },
                status=409,
            )


@transaction.atomic
def customer_find_or_create(
    *, name: str, email: str = "", phone: str = "", **fields
) -> tuple[Customer, bool]:
    """Intake channels call this: the known customer, or a new one.

    Two requests with the same new address at once: the second one's insert
    is refused, and it takes the customer the first one made instead (its
    refusal names that customer, which a public page must never show)."""
    existing = customer_find(email=email, phone=phone)
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            return customer_create(name=name, email=email, phone=phone, **fields), True
    except DomainError as exc:
        if exc.code != "duplicate_customer":
            raise
        existing = customer_find(email=email, phone=phone)
        if existing is None:
            raise DomainError(
                "try_again", _("Something went wrong while saving; please send it again.")
            ) from None
        return existing, False


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    by,
    seen_version: int | None = None,
    name: str,
    kind: str,
    organisation: str = "",
    email: str = "",
    phone: str = "",
    postal_address: str = "",
    preferred_language: str,
    notes: str = "",
) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_anonymised:
        raise DomainError(
            "anonymised", _("This customer was anonymised; their details cannot be changed.")
        )
    if seen_version is not None and customer.version != seen_version:
        raise ConflictError(
            "changed", _("Someone else changed this customer first; reload and try again.")
        )
    name, contacts = _clean_identity(name, email=email, phone=phone, postal_address=postal_address)
    _refuse_duplicates(contacts, exclude_customer=customer)
    customer.name, customer.kind, customer.organisation = name, kind, organisation.strip()
    customer.preferred_language, customer.notes = preferred_language, notes
    customer.save()
    # The first contact of each kind is the one edited here; others stay as they are.
    existing = {}
    for contact in customer.contacts.all():
        existing.setdefault(contact.kind, contact)
    wanted = {kind: (value, normalized) for kind, value, normalized in contacts}
    with _same_contact_added_meanwhile(contacts, exclude_customer=customer):
        for kind in ContactPoint.Kind.values:
            contact = existing.get(kind)
            if kind in wanted:
                value, normalized = wanted[kind]
                if contact is None:
                    ContactPoint.objects.create(
                        customer=customer, kind=kind, value=value, normalized=normalized
                    )
                elif (contact.value, contact.normalized) != (value, normalized):
                    contact.value, contact.normalized = value, normalized
                    contact.save()
            elif contact is not None and contact.value:
                # Cleared in the form: kept in history, blanked here.
                contact.value, contact.normalized = "", ""
                contact.save()
    return customer


@transaction.atomic
def customer_anonymise(*, customer: Customer, by, reason: str) -> Customer:
    """Replace personal data on the customer's request (PIPL art. 47) while the
    records the regulation keeps stay, linked to an anonymous customer. Past
    versions in the audit trail are scrubbed too, or the data would survive there."""
    if not can(by, "customers.anonymize_customer"):
        raise DomainError("forbidden", _("You do not have permission to do this."), status=403)
    required(
        reason,
        field="reason",
        code="reason_required",
        message=_("Give the reason (the customer's request)."),
    )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_anonymised:
        raise DomainError("already_anonymised", _("This customer is already anonymised."))
    # Stored once for every reader, so in both languages, not the operator's.
    label = f"匿名客户 / Anonymised customer #{customer.pk}"
    # Every name and contact the customer ever had: the audit trail holds each
    # version, the current one included.
    old_names = [customer.name, *customer.history.values_list("name", flat=True)]
    old_contacts = [
        value
        for pair in ContactPoint.history.filter(customer_id=customer.pk).values_list(
            "value", "normalized"
        )
        for value in pair
    ]
    customer.name, customer.organisation, customer.notes = label, "", ""
    customer.anonymised_at, customer.anonymised_by = timezone.now(), by
    customer._change_reason = f"anonymised: {reason.strip()[:80]}"
    customer.save()
    for contact in customer.contacts.all():
        contact.value, contact.normalized = ANONYMISED_VALUE, ""
        contact._change_reason = "anonymised"
        contact.save()
    customer.history.update(name=label, organisation="", notes="")
    ContactPoint.history.filter(customer_id=customer.pk).update(
        value=ANONYMISED_VALUE, normalized=""
    )
    messages_anonymise_customer(
        customer_id=customer.pk,
        old_names=old_names,
        old_contacts=old_contacts,
        label=label,
        redacted=ANONYMISED_VALUE,
    )
    return customer
