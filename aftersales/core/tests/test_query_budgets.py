"""A page's query count does not grow with its rows (STYLE rule 4).

Each page is loaded with one fully populated row and with thirty; both loads
run inside ``django_assert_max_num_queries`` with the page's stated budget,
and the two counts must be equal.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.roles import Role
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.tests.factories import edit_customer, make_customer
from aftersales.policy import services as policy_services
from aftersales.policy.models import PolicyVersion
from aftersales.policy.tests.factories import policy_values

pytestmark = pytest.mark.django_db

# Every signed-in page starts with: the session, the user with their profile
# (name, language), and their permissions: the roles they hold and those
# delegated to them today, in one query (nobody holds permissions of their own).
REQUEST_OVERHEAD = 3


def count_queries(client, url, budget, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(budget), CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def editors(make_staff):
    """Three people whose names the audit trail shows."""
    return [
        make_staff(f"editor{n}", Role.SERVICE_WORKER, display_name=f"Editor {n}") for n in range(3)
    ]


def populated_customer(editors, edits: int) -> Customer:
    customer = make_customer(organisation="Acme", postal_address="上海市 1 号", notes="note")
    for n in range(edits):
        edit_customer(customer, by=editors[0], notes=f"call {n}")
    # Attribute the entries to different people, as web requests would.
    for n, entry in enumerate(customer.history.all()):
        Customer.history.filter(history_id=entry.history_id).update(
            history_user=editors[n % len(editors)]
        )
    return customer


def test_the_customer_list_costs_the_same_for_1_and_30_customers(
    client_for, worker, editors, django_assert_max_num_queries
):
    budget = REQUEST_OVERHEAD + 2  # customers, their contacts
    client = client_for(worker)
    populated_customer(editors, edits=1)
    one = count_queries(client, reverse("customers:list"), budget, django_assert_max_num_queries)

    for _ in range(29):
        populated_customer(editors, edits=1)
    thirty = count_queries(client, reverse("customers:list"), budget, django_assert_max_num_queries)

    from aftersales.customers.views import PAGE_SIZE

    assert (
        len(client.get(reverse("customers:list")).context["customers"]) == PAGE_SIZE
    )  # a full page of 25
    assert thirty == one


def test_the_customer_page_costs_the_same_with_1_and_30_history_entries(
    client_for, worker, editors, django_assert_max_num_queries
):
    budget = (
        REQUEST_OVERHEAD + 3
    )  # customer (with creator), contacts, history (with users and profiles)
    client = client_for(worker)
    short = populated_customer(editors, edits=0)
    long = populated_customer(editors, edits=29)
    assert (short.history.count(), long.history.count()) == (1, 30)
    assert ContactPoint.objects.filter(customer=long).count() == 3

    one = count_queries(client, short.get_absolute_url(), budget, django_assert_max_num_queries)
    thirty = count_queries(client, long.get_absolute_url(), budget, django_assert_max_num_queries)

    assert "Editor 2" in client.get(long.get_absolute_url()).content.decode()
    assert thirty == one


def test_the_staff_list_costs_the_same_for_1_and_30_people(
    client_for, make_staff, django_assert_max_num_queries
):
    budget = REQUEST_OVERHEAD + 2  # people (with profile and department), their roles
    admin = make_staff("admin", Role.ADMINISTRATOR)
    client = client_for(admin)
    one = count_queries(
        client, reverse("accounts:staff_list"), budget, django_assert_max_num_queries
    )

    for n in range(29):
        make_staff(f"person{n}", Role.SERVICE_WORKER, Role.COMMITTEE_MEMBER, position="worker")
    thirty = count_queries(
        client, reverse("accounts:staff_list"), budget, django_assert_max_num_queries
    )

    assert len(client.get(reverse("accounts:staff_list")).context["people"]) == 30
    assert thirty == one


def test_the_staff_page_costs_the_same_with_1_and_30_history_entries(
    client_for, make_staff, editors, department, django_assert_max_num_queries
):
    from aftersales.accounts import services as accounts_services

    # the person looked up, then with profile and department, roles, delegations
    # received and given (with the other people), role changes, the profile's
    # and the account's history
    budget = REQUEST_OVERHEAD + 8
    admin = make_staff("admin", Role.ADMINISTRATOR)
    client = client_for(admin)
    short = make_staff("short", Role.SERVICE_WORKER)
    long = make_staff("long", Role.SERVICE_WORKER)
    for n in range(29):
        accounts_services.staff_update(user=long, by=admin, position=f"step {n}")
    long.profile.history.update(history_user=editors[1])

    one = count_queries(
        client,
        reverse("accounts:staff_detail", args=[short.pk]),
        budget,
        django_assert_max_num_queries,
    )
    thirty = count_queries(
        client,
        reverse("accounts:staff_detail", args=[long.pk]),
        budget,
        django_assert_max_num_queries,
    )

    assert thirty == one


def test_the_policy_page_costs_the_same_with_1_and_30_history_entries(
    client_for, general_manager, editors, django_assert_max_num_queries
):
    budget = (
        REQUEST_OVERHEAD + 2
    )  # the version (with its people and base), history (with users and profiles)
    client = client_for(general_manager)
    one = count_queries(
        client, reverse("policy:detail", args=[1]), budget, django_assert_max_num_queries
    )

    draft = policy_services.policy_draft_create(by=general_manager)
    for n in range(29):
        policy_services.policy_draft_update(
            version=draft,
            by=general_manager,
            values=policy_values(reserve_max_days=30 + n),
            note=f"step {n}",
        )
    for n, entry in enumerate(PolicyVersion.history.filter(id=draft.pk)):
        PolicyVersion.history.filter(history_id=entry.history_id).update(
            history_user=editors[n % len(editors)]
        )
    assert draft.history.count() == 30
    thirty = count_queries(
        client, reverse("policy:detail", args=[draft.number]), budget, django_assert_max_num_queries
    )

    assert thirty == one
