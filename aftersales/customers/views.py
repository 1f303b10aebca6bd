from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.errors import DomainError
from aftersales.core.fields import parse_id
from aftersales.core.forms import apply_domain_error, int_or_none
from aftersales.core.permissions import permission_required
from aftersales.customers import selectors, services
from aftersales.customers.forms import AnonymiseForm, CustomerForm
from aftersales.customers.models import Customer

PAGE_SIZE = 25


@permission_required("customers.view_customer")
def customer_list(request):
    q = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    customers = selectors.customer_list(q=q, kind=kind if kind in Customer.Kind.values else "")
    # Keyset pagination: "before" is the last id of the previous page.
    before = parse_id(request.GET.get("before", ""))
    if before is not None:
        customers = customers.filter(pk__lt=before)
    rows = list(customers[: PAGE_SIZE + 1])
    next_before = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    context = {
        "customers": rows[:PAGE_SIZE],
        "q": q,
        "kind": kind,
        "kinds": Customer.Kind.choices,
        "next_before": next_before,
    }
    template = "customers/partials/rows.html" if request.htmx else "customers/list.html"
    return render(request, template, context)


@permission_required("customers.view_customer")
def customer_detail(request, pk: int):
    customer = get_object_or_404(selectors.customer_detail_queryset(), pk=pk)
    return render(
        request, "customers/detail.html", {"customer": customer, "anonymise_form": AnonymiseForm()}
    )


@permission_required("customers.add_customer")
def customer_create(request):
    form = CustomerForm(
        request.POST or None,
        initial={"preferred_language": "zh-hans", "kind": Customer.Kind.PERSON},
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect(customer)
    return render(request, "customers/form.html", {"form": form})


@permission_required("customers.change_customer")
def customer_edit(request, pk: int):
    customer = get_object_or_404(selectors.customer_detail_queryset(), pk=pk)
    if customer.is_anonymised:
        messages.error(request, _("This customer was anonymised; their details cannot be changed."))
        return redirect(customer)
    initial = {
        "kind": customer.kind,
        "name": customer.name,
        "organisation": customer.organisation,
        "email": customer.email,
        "phone": customer.phone,
        "postal_address": customer.postal_address,
        "preferred_language": customer.preferred_language,
        "notes": customer.notes,
    }
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                customer=customer,
                by=request.user,
                seen_version=int_or_none(request.POST.get("seen_version")),
                **form.cleaned_data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect(customer)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@permission_required("customers.anonymize_customer")
@require_POST
def customer_anonymise(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    form = AnonymiseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason (the customer's request)."))
        return redirect(customer)
    try:
        services.customer_anonymise(
            customer=customer, by=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The customer's personal data was removed; their records are kept.")
        )
    return redirect(customer)
