from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from aftersales.core.api import ERROR_RESPONSES, CursorPagination, record_action
from aftersales.core.fields import Id, Line
from aftersales.core.permissions import require
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer
from aftersales.customers.schemas import AnonymiseIn, CustomerIn, CustomerOut, CustomerUpdateIn

router = Router(tags=["customers"])


@router.get("/", response=list[CustomerOut])
@paginate(CursorPagination)
def customer_list(request, q: Line = "", kind: Line = ""):
    require(request.auth, "customers.view_customer")
    return selectors.customer_list(q=q, kind=kind)


@router.get("/{customer_id}", response={200: CustomerOut, **ERROR_RESPONSES})
def customer_get(request, customer_id: Id):
    require(request.auth, "customers.view_customer")
    return get_object_or_404(selectors.customer_detail_queryset(), pk=customer_id)


@router.post("/", response={201: CustomerOut, **ERROR_RESPONSES})
def customer_create(request, payload: CustomerIn):
    require(request.auth, "customers.add_customer")
    customer = services.customer_create(by=request.auth, **payload.dict())
    return Status(201, selectors.customer_detail_queryset().get(pk=customer.pk))


def _on_customer(path: str, permission: str, *, method: str = "POST"):
    """An action on one customer (core.api.record_action), answered with the
    customer as it is now."""
    return record_action(
        router,
        path,
        permission=permission,
        load=lambda pk: get_object_or_404(Customer, pk=pk),
        answer=lambda customer: selectors.customer_detail_queryset().get(pk=customer.pk),
        response={200: CustomerOut, **ERROR_RESPONSES},
        method=method,
    )


@_on_customer("/{customer_id}", "customers.change_customer", method="PUT")
def customer_update(request, customer, payload: CustomerUpdateIn):
    services.customer_update(customer=customer, by=request.auth, **payload.dict())


@_on_customer("/{customer_id}/anonymise", "customers.anonymize_customer")
def customer_anonymise(request, customer, payload: AnonymiseIn):
    services.customer_anonymise(customer=customer, by=request.auth, **payload.dict())
