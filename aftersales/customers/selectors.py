from django.db.models import Prefetch, Q

from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.normalize import normalize_email, normalize_phone


def customer_list(*, q: str = "", kind: str = ""):
    """Newest first, contacts prefetched: two queries a page whatever its size."""
    customers = Customer.objects.prefetch_related(
        Prefetch("contacts", queryset=ContactPoint.objects.order_by("kind", "id"))
    )
    if kind:
        customers = customers.filter(kind=kind)
    q = (q or "").strip()
    if q:
        exact = Q()
        for normalize in (normalize_email, normalize_phone):
            try:
                value = normalize(q)
            except Exception:  # noqa: BLE001, S112 - not that kind of contact
                continue
            if value:
                exact |= Q(contacts__normalized=value)
        customers = customers.filter(
            exact | Q(name__icontains=q) | Q(organisation__icontains=q)
        ).distinct()
    return customers.order_by("-pk")


def customer_detail_queryset():
    return Customer.objects.select_related("created_by", "anonymised_by").prefetch_related(
        "contacts"
    )
