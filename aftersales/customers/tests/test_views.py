"""Customer pages (P4): list, add, edit, anonymise."""

import pytest
from django.urls import reverse

from aftersales.customers import services
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.tests.factories import edit_customer, make_customer

pytestmark = pytest.mark.django_db


def form(**overrides):
    return {
        "kind": "person",
        "name": "赵六",
        "organisation": "",
        "email": "zhao.liu@example.com",
        "phone": "138 1234 5678",
        "postal_address": "",
        "preferred_language": "zh-hans",
        "notes": "",
    } | overrides


def test_a_worker_adds_a_customer_through_the_form(client_for, worker):
    response = client_for(worker).post(reverse("customers:create"), form())

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert customer.created_by == worker
    assert {c.normalized for c in customer.contacts.all()} == {
        "zhao.liu@example.com",
        "+8613812345678",
    }


def test_adding_a_known_customer_shows_who_they_are_and_writes_nothing(client_for, worker):
    existing = make_customer(name="赵六", email="zhao.liu@example.com", phone="")

    response = client_for(worker).post(
        reverse("customers:create"), form(email=" Zhao.Liu@EXAMPLE.com", phone="")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f"#{existing.pk}" in page
    assert "email" in response.context["form"].errors
    assert (Customer.objects.count(), ContactPoint.objects.count()) == (1, 1)


def test_an_invalid_phone_is_shown_on_the_phone_field(client_for, worker):
    response = client_for(worker).post(reverse("customers:create"), form(phone="12 34"))

    assert response.status_code == 200
    assert set(response.context["form"].errors) - {"__all__"} == {"phone"}
    assert "12 34" in response.context["form"].errors["phone"][0]
    assert Customer.objects.count() == 0


def test_the_list_finds_a_customer_by_a_differently_typed_phone(client_for, worker):
    wanted = make_customer(name="要找的人", phone="138 1234 5678")
    make_customer(name="别人")

    response = client_for(worker).get(reverse("customers:list"), {"q": "+86 138-1234-5678"})

    assert [c.pk for c in response.context["customers"]] == [wanted.pk]


def test_the_list_answers_an_htmx_search_with_the_rows_only(client_for, worker):
    make_customer(name="Someone")

    response = client_for(worker).get(
        reverse("customers:list"), {"q": "Some"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "Someone" in html
    assert "<html" not in html


def test_the_list_pages_by_id_without_repeating_a_row(client_for, worker):
    from aftersales.customers.views import PAGE_SIZE

    made = [make_customer().pk for _ in range(PAGE_SIZE + 3)]
    client = client_for(worker)

    first = client.get(reverse("customers:list"))
    second = client.get(reverse("customers:list"), {"before": first.context["next_before"]})

    shown = [c.pk for c in first.context["customers"]] + [c.pk for c in second.context["customers"]]
    assert shown == sorted(made, reverse=True)
    assert second.context["next_before"] is None


def test_an_edit_sent_after_someone_else_saved_is_refused_and_keeps_their_change(
    client_for, worker, cs_manager
):
    customer = make_customer(name="Before")
    seen = customer.version
    edit_customer(customer, by=cs_manager, name="Saved first")

    response = client_for(worker).post(
        reverse("customers:edit", args=[customer.pk]),
        form(name="Saved second", email=customer.email, phone=customer.phone, seen_version=seen),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Customer.objects.get(pk=customer.pk).name == "Saved first"


def test_an_anonymised_customer_has_no_edit_form(client_for, worker, cs_manager):
    customer = make_customer()
    services.customer_anonymise(customer=customer, by=cs_manager, reason="request")
    client = client_for(worker)

    response = client.get(reverse("customers:edit", args=[customer.pk]))
    assert response.status_code == 302
    client.post(
        reverse("customers:edit", args=[customer.pk]),
        form(name="Back", email="back@example.com", phone=""),
    )

    after = Customer.objects.get(pk=customer.pk)
    assert after.name != "Back" and after.name.endswith(f"#{customer.pk}")
    assert not ContactPoint.objects.filter(customer=customer, value="back@example.com").exists()
    assert (
        reverse("customers:edit", args=[customer.pk])
        not in client.get(customer.get_absolute_url()).content.decode()
    )


def test_anonymising_from_the_page_needs_the_permission_and_a_reason(
    client_for, worker, cs_manager
):
    customer = make_customer(name="Private Person")
    url = reverse("customers:anonymise", args=[customer.pk])

    assert client_for(worker).post(url, {"reason": "asked"}).status_code == 403
    assert url not in client_for(worker).get(customer.get_absolute_url()).content.decode()
    client = client_for(cs_manager)
    assert url in client.get(customer.get_absolute_url()).content.decode()
    client.post(url, {"reason": ""})
    assert Customer.objects.get(pk=customer.pk).name == "Private Person"

    response = client.post(url, {"reason": "Letter of 1 March"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_anonymised
    assert "Private Person" not in client.get(customer.get_absolute_url()).content.decode()


def test_outsiders_cannot_see_or_add_customers(client_for, outsider):
    customer = make_customer()
    client = client_for(outsider)

    for url in (
        reverse("customers:list"),
        customer.get_absolute_url(),
        reverse("customers:create"),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("customers:create"), form()).status_code == 403
    assert Customer.objects.count() == 1


def test_an_unknown_customer_is_a_404(client_for, worker):
    assert client_for(worker).get(reverse("customers:detail", args=[98765])).status_code == 404
