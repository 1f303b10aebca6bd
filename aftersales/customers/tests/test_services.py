"""Customers (P4): found again by email or phone, kept, and anonymised on request."""

import pytest
from django.utils import translation

from aftersales.core.errors import ConflictError, DomainError
from aftersales.customers import services
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.normalize import normalize_email, normalize_phone
from aftersales.customers.tests.factories import edit_customer, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def counts():
    return Customer.objects.count(), ContactPoint.objects.count()


# --- normalising ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Li.Wei@Example.COM", "li.wei@example.com"),
        ("  li.wei@example.com ", "li.wei@example.com"),
        ("LI.WEI@例子.公司", "li.wei@xn--fsqu00a.xn--55qx5d"),
    ],
)
def test_emails_are_compared_without_case_or_surrounding_spaces(typed, normal):
    assert normalize_email(typed) == normal


@pytest.mark.parametrize(
    "typed",
    ["138 1234 5678", "+86 138-1234-5678", "13812345678", "+8613812345678", "(138) 1234-5678"],
)
def test_mainland_phone_numbers_however_typed_become_one_e164_number(typed):
    assert normalize_phone(typed) == "+8613812345678"


def test_a_foreign_number_with_its_country_code_keeps_it():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


# --- de-duplication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            {"email": "li.wei@example.com", "phone": ""},
            {"email": " LI.WEI@Example.com ", "phone": ""},
        ),
        ({"email": "", "phone": "138 1234 5678"}, {"email": "", "phone": "+86 138-1234-5678"}),
        (
            {"email": "a@example.com", "phone": "138 1234 5678"},
            {"email": "b@example.com", "phone": "13812345678"},
        ),
    ],
)
def test_creating_a_customer_whose_email_or_phone_is_known_is_refused_naming_the_existing_customer(
    first, second
):
    existing = services.customer_create(name="李伟", **first)
    before = counts()

    with pytest.raises(DomainError) as exc:
        services.customer_create(name="Li Wei", **second)

    assert exc.value.code == "duplicate_customer"
    assert exc.value.status == 409
    assert "李伟" in str(exc.value.message) and f"#{existing.pk}" in str(exc.value.message)
    field = (
        "email"
        if first["email"] and first["email"].lower() == second["email"].strip().lower()
        else "phone"
    )
    assert set(exc.value.fields) == {field}
    assert counts() == before


def test_find_or_create_returns_the_known_customer_for_a_differently_typed_phone():
    known = make_customer(name="王芳", email="", phone="138 1234 5678")
    before = counts()

    found, created = services.customer_find_or_create(name="Wang Fang", phone="+86 138-1234-5678")

    assert (found.pk, created) == (known.pk, False)
    assert found.name == "王芳"
    assert counts() == before


def test_find_or_create_returns_the_known_customer_for_a_differently_cased_email():
    known = make_customer(email="Wang.Fang@Example.com", phone="")

    found, created = services.customer_find_or_create(name="W", email="wang.fang@example.COM")

    assert (found.pk, created) == (known.pk, False)


def test_find_or_create_makes_a_new_customer_when_nobody_matches():
    make_customer(email="someone@example.com")

    customer, created = services.customer_find_or_create(name="New Person", email="new@example.com")

    assert created is True
    assert customer.email == "new@example.com"
    assert ContactPoint.objects.get(customer=customer, kind="email").normalized == "new@example.com"


def test_updating_a_customer_to_another_customers_phone_is_refused_and_nothing_changes(worker):
    first = make_customer(phone="138 1234 5678")
    second = make_customer(phone="139 1234 5678")

    with pytest.raises(DomainError) as exc:
        edit_customer(second, by=worker, phone="+86 13812345678", name="Changed")

    assert exc.value.code == "duplicate_customer"
    assert f"#{first.pk}" in str(exc.value.message)
    second.refresh_from_db()
    assert second.name != "Changed"
    assert ContactPoint.objects.get(customer=second, kind="phone").normalized == "+8613912345678"


def test_a_customer_may_keep_their_own_email_on_update(worker):
    customer = make_customer(email="same@example.com")

    edit_customer(customer, by=worker, email="SAME@example.com", notes="called back")

    customer.refresh_from_db()
    assert customer.notes == "called back"


# --- invalid contact details ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"email": "not-an-email", "phone": ""}, {"email"}),
        ({"email": "", "phone": "12345"}, {"phone"}),
        ({"email": "x@", "phone": "call me"}, {"email", "phone"}),
    ],
)
def test_invalid_email_or_phone_is_refused_naming_the_field(fields, bad):
    before = counts()

    with pytest.raises(DomainError) as exc:
        services.customer_create(name="Someone", **fields)

    assert exc.value.code == "invalid_contact"
    assert set(exc.value.fields) == bad
    for name in bad:
        assert "not a valid" in str(exc.value.fields[name])
    assert counts() == before


def test_a_customer_needs_a_name_and_a_way_to_reach_them():
    with pytest.raises(DomainError) as no_name:
        services.customer_create(name="  ", email="a@example.com")
    with pytest.raises(DomainError) as no_contact:
        services.customer_create(name="Someone")

    assert no_name.value.fields.keys() == {"name"}
    assert no_contact.value.code == "contact_required"
    assert counts() == (0, 0)


def test_a_postal_address_alone_is_enough_to_reach_a_customer():
    customer = services.customer_create(name="By Letter", postal_address="上海市 1 号")

    assert customer.contacts.get().kind == ContactPoint.Kind.POSTAL


# --- records are kept -------------------------------------------------------------------


def test_a_customer_cannot_be_hard_deleted_one_by_one_or_in_bulk():
    customer = make_customer()

    with pytest.raises(DomainError) as one:
        customer.delete()
    with pytest.raises(DomainError) as bulk:
        Customer.objects.filter(pk=customer.pk).delete()
    with pytest.raises(DomainError):
        ContactPoint.objects.filter(customer=customer).delete()

    assert one.value.code == bulk.value.code == "records_kept"
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert ContactPoint.objects.filter(customer=customer).count() == 2


# --- concurrent edits -------------------------------------------------------------------


def test_an_update_carrying_a_stale_seen_version_is_refused_as_a_conflict(worker, cs_manager):
    customer = make_customer(name="Original")
    seen = customer.version
    edit_customer(customer, by=cs_manager, name="First writer")

    with pytest.raises(ConflictError) as exc:
        edit_customer(customer, by=worker, name="Second writer", seen_version=seen)

    assert exc.value.status == 409
    customer.refresh_from_db()
    assert customer.name == "First writer"
    assert customer.version == seen + 1


def test_each_saved_update_raises_the_version_by_one(worker):
    customer = make_customer()
    start = customer.version

    edit_customer(customer, by=worker, notes="one", seen_version=start)
    edit_customer(customer, by=worker, notes="two", seen_version=start + 1)

    customer.refresh_from_db()
    assert (customer.version, customer.notes) == (start + 2, "two")


def test_clearing_a_contact_in_an_update_blanks_it_and_frees_it_for_another_customer(worker):
    customer = make_customer(email="old@example.com", phone="138 0000 0001")

    edit_customer(customer, by=worker, email="")
    other = services.customer_create(name="Other", email="old@example.com")

    assert ContactPoint.objects.get(customer=customer, kind="email").value == ""
    assert other.email == "old@example.com"


# --- anonymisation (PIPL art. 47; the records stay) -------------------------------------


def test_anonymising_replaces_personal_data_on_the_customer_its_contacts_and_their_history(
    cs_manager, worker
):
    customer = make_customer(
        name="张三",
        email="zhang.san@example.com",
        phone="138 1234 5678",
        postal_address="北京市朝阳区 1 号",
        organisation="张家",
        notes="Prefers calls",
    )
    edit_customer(customer, by=worker, name="张三丰", email="zs@example.com", notes="moved")

    services.customer_anonymise(
        customer=customer, by=cs_manager, reason="Written request of 1 March"
    )

    customer = Customer.objects.get(pk=customer.pk)
    assert customer.is_anonymised
    assert customer.anonymised_by == cs_manager
    assert customer.name == f"匿名客户 / Anonymised customer #{customer.pk}"
    assert (customer.organisation, customer.notes) == ("", "")
    assert {c.value for c in customer.contacts.all()} == {services.ANONYMISED_VALUE}
    assert {c.normalized for c in customer.contacts.all()} == {""}
    # The audit trail keeps who changed what and when, but none of the personal data.
    personal = [
        "张三",
        "zhang.san",
        "zs@example.com",
        "13812345678",
        "1234 5678",
        "北京市",
        "张家",
        "Prefers calls",
        "moved",
    ]
    for row in customer.history.all():
        text = " ".join(str(v) for v in (row.name, row.organisation, row.notes))
        assert not any(p in text for p in personal), text
    contact_history = ContactPoint.history.filter(customer_id=customer.pk)
    assert contact_history.count() >= 4
    for row in contact_history:
        assert not any(p in f"{row.value} {row.normalized}" for p in personal), row.value
    assert customer.history.count() >= 3


def test_an_anonymised_customer_is_no_longer_found_by_their_old_email_or_phone(cs_manager):
    customer = make_customer(email="gone@example.com", phone="138 1234 5678")
    services.customer_anonymise(customer=customer, by=cs_manager, reason="request")

    assert services.customer_find(email="gone@example.com") is None
    assert services.customer_find(phone="13812345678") is None


def test_anonymising_keeps_the_customer_row_and_its_id(cs_manager):
    customer = make_customer()
    before = counts()

    services.customer_anonymise(customer=customer, by=cs_manager, reason="request")

    assert counts() == before
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_anonymising_needs_a_reason(cs_manager, reason):
    customer = make_customer(name="Keep Me")

    with pytest.raises(DomainError) as exc:
        services.customer_anonymise(customer=customer, by=cs_manager, reason=reason)

    assert exc.value.fields.keys() == {"reason"}
    assert Customer.objects.get(pk=customer.pk).name == "Keep Me"


def test_anonymising_needs_the_permission(worker, quality_specialist, outsider):
    customer = make_customer(name="Keep Me")

    for person in (worker, quality_specialist, outsider):
        with pytest.raises(DomainError) as exc:
            services.customer_anonymise(customer=customer, by=person, reason="asked")
        assert exc.value.status == 403

    customer.refresh_from_db()
    assert (customer.name, customer.is_anonymised) == ("Keep Me", False)


def test_an_anonymised_customer_cannot_be_edited_or_anonymised_again(cs_manager, worker):
    customer = make_customer()
    services.customer_anonymise(customer=customer, by=cs_manager, reason="request")

    with pytest.raises(DomainError) as edit:
        edit_customer(customer, by=worker, name="Back again", email="back@example.com")
    with pytest.raises(DomainError) as again:
        services.customer_anonymise(customer=customer, by=cs_manager, reason="twice")

    assert edit.value.code == "anonymised"
    assert again.value.code == "already_anonymised"
    assert Customer.objects.get(pk=customer.pk).name.startswith("匿名客户 / Anonymised customer")


def test_a_duplicate_added_between_the_check_and_the_write_gets_the_duplicate_message_not_a_crash(
    monkeypatch,
):
    # Two intake requests for one new email: both pass the check, the database's
    # unique constraint stops the second. Here the check is made to miss once.
    existing = make_customer(name="First", email="race@example.com", phone="")
    real_check = services._refuse_duplicates
    calls = []

    def check_misses_once(contacts, exclude_customer=None):
        calls.append(1)
        if len(calls) > 1:
            real_check(contacts, exclude_customer=exclude_customer)

    monkeypatch.setattr(services, "_refuse_duplicates", check_misses_once)
    before = counts()

    with pytest.raises(DomainError) as exc:
        services.customer_create(name="Second", email="RACE@example.com")

    assert exc.value.code == "duplicate_customer"
    assert f"#{existing.pk}" in str(exc.value.message)
    assert counts() == before


def test_anonymising_removes_name_and_address_from_the_notices_the_customer_received(
    cs_manager, worker
):
    from aftersales.notifications.models import Message
    from aftersales.notifications.services import notify

    customer = make_customer(name="李四", email="li.si@example.com")
    edit_customer(customer, by=worker, name="李四光", email="li.si@example.com")
    notify(
        template="generic",
        context={"subject": "致李四光", "body": "李四光您好，李四的提案已受理。"},
        customer=customer,
    )
    other = make_customer(name="王五", email="wang.wu@example.com")
    kept = notify(
        template="generic", context={"subject": "致王五", "body": "王五您好"}, customer=other
    )

    services.customer_anonymise(customer=customer, by=cs_manager, reason="Written request")

    message = Message.objects.get(customer=customer)
    label = f"匿名客户 / Anonymised customer #{customer.pk}"
    assert message.address == services.ANONYMISED_VALUE
    assert message.recipient_name == label
    assert "李四" not in message.subject + message.body
    assert label in message.body
    kept.refresh_from_db()
    assert (kept.address, kept.recipient_name) == ("wang.wu@example.com", "王五")


def test_anonymising_removes_old_addresses_from_delivery_errors_and_events(cs_manager, worker):
    from aftersales.notifications.models import DeliveryAttempt, Message, MessageEvent
    from aftersales.notifications.services import notify

    customer = make_customer(name="赵六", email="Zhao.Liu@Example.com")
    message = notify(template="generic", context={"subject": "s", "body": "b"}, customer=customer)
    # What a refusing server writes back quotes the address (normalised form here).
    bounce = "550 5.1.1 <zhao.liu@example.com>: user unknown"
    DeliveryAttempt.objects.create(
        message=message, number=1, started_at=message.created_at, error=bounce
    )
    MessageEvent.objects.create(
        message=message,
        old_status="sending",
        new_status="failed",
        at=message.created_at,
        note=bounce,
    )
    Message.objects.filter(pk=message.pk).update(last_error=bounce)
    edit_customer(customer, by=worker, name="赵六", email="new.zhao@example.com")

    services.customer_anonymise(customer=customer, by=cs_manager, reason="Written request")

    message.refresh_from_db()
    texts = [
        message.last_error,
        *DeliveryAttempt.objects.filter(message=message).values_list("error", flat=True),
        *MessageEvent.objects.filter(message=message).values_list("note", flat=True),
    ]
    assert all("zhao.liu" not in t.lower() for t in texts)
    assert f"<{services.ANONYMISED_VALUE}>: user unknown" in message.last_error
