"""Customers for tests, made through the service so they are what intake makes."""

import itertools

from aftersales.customers import services
from aftersales.customers.models import Customer

_serial = itertools.count(1)


def unique_phone(n: int) -> str:
    # Valid mainland mobile numbers (138 ...), written the way staff type them.
    return f"138 {n // 10000 % 10000:04d} {n % 10000:04d}"


def make_customer(
    *,
    by=None,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    **fields,
) -> Customer:
    n = next(_serial)
    return services.customer_create(
        by=by,
        name=name or f"客户 {n}",
        email=f"customer{n}@example.com" if email is None else email,
        phone=unique_phone(n) if phone is None else phone,
        **fields,
    )


def edit_customer(customer: Customer, *, by, **changes) -> Customer:
    """customer_update with every field as it is, except ``changes``."""
    customer = Customer.objects.prefetch_related("contacts").get(pk=customer.pk)
    data = {
        "name": customer.name,
        "kind": customer.kind,
        "organisation": customer.organisation,
        "email": customer.email,
        "phone": customer.phone,
        "postal_address": customer.postal_address,
        "preferred_language": customer.preferred_language,
        "notes": customer.notes,
    }
    return services.customer_update(customer=customer, by=by, **(data | changes))
