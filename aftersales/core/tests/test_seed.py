"""``aftersales seed``: the demo department and large benchmark data."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from aftersales.accounts.models import Department, StaffProfile
from aftersales.accounts.seeding import DEMO_PASSWORD, STAFF
from aftersales.core.roles import Role
from aftersales.core.seeding.state import read_state, state_matches
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.normalize import normalize_email, normalize_phone

User = get_user_model()


def seed(*args) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    # The seed record goes to var/seed/; keep the tests' records out of the real var/.
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_demo_creates_every_role_and_prints_the_logins():
    out = seed("--demo")

    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), f"no demo user holds {role}"
    aftersales = Department.objects.get(is_aftersales=True)
    assert aftersales.name == "售后服务部"
    assert aftersales.manager.groups.filter(name=Role.AFTERSALES_MANAGER).exists()
    # Committee = the general manager + the department managers.
    committee = set(User.objects.filter(groups__name=Role.COMMITTEE_MEMBER))
    managers = set(
        User.objects.filter(groups__name__in=[Role.GENERAL_MANAGER, Role.DEPARTMENT_MANAGER])
    )
    assert committee == managers
    # I11(2): some service workers are new, some proficient.
    workers = StaffProfile.objects.filter(user__groups__name=Role.SERVICE_WORKER)
    assert workers.filter(proficient_since__isnull=True).exists()
    assert workers.filter(proficient_since__isnull=False).exists()
    assert {"zh-hans", "en"} <= set(StaffProfile.objects.values_list("language", flat=True))

    assert Customer.objects.count() >= 30
    kinds = {
        c.pk: {p.kind for p in c.contacts.all()}
        for c in Customer.objects.prefetch_related("contacts")
    }
    assert {ContactPoint.Kind.POSTAL} in kinds.values(), "a customer reachable by post only"
    assert {ContactPoint.Kind.PHONE} in kinds.values(), "a customer reachable by phone only"
    assert Customer.objects.filter(kind=Customer.Kind.ORGANISATION).exists()
    assert Customer.objects.filter(preferred_language="en").exists()

    assert DEMO_PASSWORD in out
    for person in STAFF:
        assert person.username in out
        assert User.objects.get(username=person.username).check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_demo_if_empty_skips_the_second_time():
    seed("--demo", "--if-empty")
    counts = (User.objects.count(), Customer.objects.count(), ContactPoint.objects.count())

    out = seed("--demo", "--if-empty")

    assert "skipped" in out
    assert (User.objects.count(), Customer.objects.count(), ContactPoint.objects.count()) == counts


@pytest.mark.django_db
def test_demo_again_without_if_empty_changes_nothing():
    seed("--demo")
    counts = (User.objects.count(), Customer.objects.count(), Department.objects.count())

    out = seed("--demo")

    assert "0 staff, 0 customers and 0 proposals created" in out
    assert (User.objects.count(), Customer.objects.count(), Department.objects.count()) == counts


@pytest.mark.django_db
def test_scale_creates_customers_with_valid_normalised_unique_contacts():
    seed("--scale", "200", "--no-progress")

    assert Customer.objects.count() == 200
    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), f"no seeded staff holds {role}"
    for customer in Customer.objects.prefetch_related("contacts"):
        assert 1 <= len(customer.contacts.all()) <= 2, customer
    normalizers = {
        ContactPoint.Kind.EMAIL: normalize_email,
        ContactPoint.Kind.PHONE: normalize_phone,
    }
    seen = set()
    for kind, value, normalized in ContactPoint.objects.values_list("kind", "value", "normalized"):
        if kind == ContactPoint.Kind.POSTAL:
            assert value and normalized == ""
            continue
        assert normalizers[kind](value) == normalized, (kind, value)
        assert (kind, normalized) not in seen
        seen.add((kind, normalized))
    assert {ContactPoint.Kind.EMAIL, ContactPoint.Kind.PHONE} <= {k for k, _n in seen}
    # A service would have written one history row per record.
    assert Customer.history.count() == 200
    assert ContactPoint.history.count() == ContactPoint.objects.count()


@pytest.mark.django_db
def test_scale_records_what_it_seeded_so_the_benchmark_can_match_it():
    seed("--scale", "50", "--no-progress")

    state = read_state()
    assert state["scale"] == 50 and state["customers_total"] == 50 and state["seed_random"] == 42
    assert state_matches(scale=50, seed=42) == (True, "")
    assert state_matches(scale=60, seed=42)[0] is False
    assert state_matches(scale=50, seed=7)[0] is False
    assert json.loads(seed("--status").split("\n", 2)[2])["scale"] == 50


@pytest.mark.django_db
def test_scale_twice_adds_up_with_contacts_still_unique():
    seed("--scale", "40", "--no-progress")
    seed("--scale", "40", "--no-progress")

    assert Customer.objects.count() == 80
    assert read_state()["scale"] == 80
    assert state_matches(scale=40, seed=42)[0] is False


@pytest.mark.django_db
def test_scale_is_deterministic_for_a_seed_and_anchor_date():
    def seeded_rows():
        with transaction.atomic():
            seed(
                "--scale",
                "30",
                "--no-progress",
                "--seed-random",
                "7",
                "--anchor-date",
                "2026-01-31",
            )
            rows = list(
                # Each customer's contacts in a fixed order too: PostgreSQL's
                # planner may return them in any order otherwise.
                Customer.objects.order_by("pk", "contacts__pk").values_list(
                    "name", "notes", "created_at", "contacts__value"
                )
            )
            transaction.set_rollback(True)
        return rows

    first, second = seeded_rows(), seeded_rows()

    assert first == second
    assert len(first) >= 30


@pytest.mark.django_db
def test_demo_shows_proposals_at_every_step_of_p4_to_p10():
    from aftersales.proposals.models import Proposal, Status

    seed("--demo")

    statuses = set(Proposal.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    duplicate = Proposal.objects.get(status=Status.CLOSED)
    assert duplicate.duplicate_of.customer_id == duplicate.customer_id
    # Re-running leaves the proposals alone.
    before = Proposal.objects.count()
    seed("--demo")
    assert Proposal.objects.count() == before


def test_each_app_registers_its_own_seeding_steps_in_dependency_order():
    """Issue 8 item 3: core/seeding is the registry; accounts, customers and
    proposals each seed their own records, staff before the customers they
    take in, customers before their proposals."""
    from aftersales.core.seeding.registry import demo_steps, seed_steps

    demo = [(step.name, step.fn.__module__) for step in demo_steps()]
    scale = [(step.name, step.fn.__module__) for step in seed_steps()]

    assert demo == [
        ("staff", "aftersales.accounts.seeding"),
        ("customers", "aftersales.customers.seeding"),
        ("proposals", "aftersales.proposals.demo"),
    ]
    assert scale == [
        ("staff", "aftersales.accounts.seeding"),
        ("customers", "aftersales.customers.seeding"),
        ("proposals", "aftersales.proposals.seeding"),
        ("proposals_search", "aftersales.proposals.seeding"),
    ]
