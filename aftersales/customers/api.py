from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from aftersales.core.api import ERROR_RESPONSES, CursorPagination
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


@router.put("/{customer_id}", response={200: CustomerOut, **ERROR_RESPONSES})
def customer_update(request, customer_id: Id, payload: CustomerUpdateIn):
    require(request.auth, "customers.change_customer")
    customer = get_object_or_404(Customer, pk=customer_id)
    data = payload.dict()
    seen = data.pop("seen_version")
    services.customer_update(customer=customer, by=request.auth, seen_version=seen, **data)
    return selectors.customer_detail_queryset().get(pk=customer_id)


@router.post("/{customer_id}/anonymise", response={200: CustomerOut, **ERROR_RESPONSES})
def customer_anonymise(request, customer_id: Id, payload: AnonymiseIn):
    require(request.auth, "customers.anonymize_customer")
    customer = get_object_or_404(Customer, pk=customer_id)
    services.customer_anonymise(customer=customer, by=request.auth, reason=payload.reason)
    return selectors.customer_detail_queryset().get(pk=customer_id)
