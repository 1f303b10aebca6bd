"""Who changed what, on the record's own page (Q4: based on facts)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.accounts import services as accounts_services
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import make_customer
from aftersales.policy import services as policy_services
from aftersales.policy.models import PolicyVersion
from aftersales.policy.tests.factories import form_data, policy_values

pytestmark = pytest.mark.django_db


def history_block(html: str) -> str:
    match = re.search(r'<section class="history" id="history">(.*?)</section>', html, re.S)
    assert match, "the page has no history block"
    return match.group(1)


def test_editing_a_customer_shows_who_changed_which_field_on_the_customer_page(
    client_for, make_staff
):
    editor = make_staff("editor", "service_worker", display_name="Editor Person")
    customer = make_customer(name="Old Name", email="same@example.com", phone="")
    client = client_for(editor)

    client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "kind": "person",
            "name": "New Name",
            "email": "same@example.com",
            "preferred_language": "zh-hans",
            "seen_version": customer.version,
        },
    )

    history = history_block(client.get(customer.get_absolute_url()).content.decode())
    assert "Editor Person" in history
    assert "<del><bdi>Old Name</bdi></del> → <ins><bdi>New Name</bdi></ins>" in history
    latest = Customer.history.filter(id=customer.pk).latest("history_date")
    assert latest.history_user == editor


def test_editing_a_staff_profile_shows_the_administrator_and_the_change(
    client_for, make_staff, administrator, department
):
    person = make_staff("changing", "service_worker", display_name="Before Rename")
    client = client_for(administrator)

    client.post(
        reverse("accounts:staff_edit", args=[person.pk]),
        {
            "display_name": "After Rename",
            "department": department.pk,
            "hire_date": "2024-01-01",
            "language": "zh-hans",
            "seen_version": person.profile.version,
        },
    )

    history = history_block(
        client.get(reverse("accounts:staff_detail", args=[person.pk])).content.decode()
    )
    assert "<del><bdi>Before Rename</bdi></del> → <ins><bdi>After Rename</bdi></ins>" in history
    assert administrator.profile.display_name in history
    assert "<em>(by " not in history  # the reader sees a name, not an internal id
    assert person.profile.history.latest("history_date").history_user == administrator


def test_editing_a_policy_draft_shows_who_changed_it_on_the_version_page(
    client_for, aftersales_manager, general_manager
):
    draft = policy_services.policy_draft_create(by=general_manager)
    client = client_for(aftersales_manager)

    client.post(
        reverse("policy:edit", args=[draft.number]),
        form_data(
            policy_values(reserve_max_days=45), note="Shorter reserve", seen_version=draft.version
        ),
    )

    history = history_block(
        client.get(reverse("policy:detail", args=[draft.number])).content.decode()
    )
    assert aftersales_manager.profile.display_name in history
    assert "Shorter reserve" in history
    assert (
        PolicyVersion.history.filter(id=draft.pk).latest("history_date").history_user
        == aftersales_manager
    )


def test_a_write_through_an_api_token_names_the_tokens_owner_in_the_history(worker):
    customer = make_customer(name="Via API", email="api@example.com", phone="")
    _token, raw = accounts_services.api_token_create(user=worker, name="erp")

    response = Client(headers={"authorization": f"Bearer {raw}"}).put(
        f"/api/v1/customers/{customer.pk}",
        {"name": "Renamed by ERP", "email": "api@example.com", "seen_version": customer.version},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert Customer.history.filter(id=customer.pk).latest("history_date").history_user == worker


def test_a_change_made_outside_a_request_is_shown_as_made_by_the_system(client_for, worker):
    customer = make_customer(name="Made By Intake")

    history = history_block(client_for(worker).get(customer.get_absolute_url()).content.decode())

    assert Customer.history.get(id=customer.pk).history_user is None
    assert history.count("<li>") == 1


def test_q4_a_departments_page_shows_who_changed_it(client_for, administrator, department):
    client = client_for(administrator)
    response = client.post(
        reverse("accounts:department_edit", args=[department.pk]),
        {
            "code": department.code,
            "name": "客户服务部",
            "name_en": "Customer service",
            "is_aftersales": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302

    page = client.get(reverse("accounts:department_edit", args=[department.pk])).content.decode()
    history = page.split('id="history"', 1)[1]
    assert "客户服务部" in history and "售后服务部" in history
    assert administrator.profile.display_name in history
