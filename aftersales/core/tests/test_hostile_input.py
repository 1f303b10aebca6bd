"""Issue 7 items 2-4: hostile text and numbers, through every way in.

Each payload goes through the API, the portal form, a staff form and the
mail pipe (``aftersales intake-email``). What must hold: a refusal is a 4xx
or a form error with a translated message and writes nothing; what is
allowed is stored exactly; nothing ever answers 500. Run on SQLite and on
PostgreSQL (``DATABASE_URL=postgres://...``): NUL is what PostgreSQL cannot
store, 2**63 is what SQLite's driver cannot bind.
"""

import io
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from aftersales.core.roles import Role
from aftersales.customers.models import ContactPoint, Customer
from aftersales.proposals.models import InboundMail, Proposal
from aftersales.proposals.tests.mail import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_counters_and_tasks_in_process(settings, huey_immediate):
    # Rate-limit counters per test (the portal limits each address), and the
    # notices the writes queue sent in process.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"hostile-{uuid.uuid4().hex}",
        }
    }


LONG = "字" * 20_000
# (name, text, allowed in one line, allowed in several lines)
TEXTS = [
    ("nul", "A\x00B", False, False),
    ("c0_bell", "A\x07B", False, False),
    ("c0_escape", "A\x1b[31mB", False, False),
    ("crlf", "Crlf\r\nBcc: victim@example.com", False, True),
    ("tab", "A\tB", False, True),
    ("del", "A\x7fB", False, False),
    ("c1_nel", "A\x85B", False, False),
    ("line_separator", "A\u2028B", False, False),
    ("paragraph_separator", "A\u2029B", False, False),
    # Allowed: item 5 isolates them wherever they are shown.
    ("bidi_override", "\u202eevil.exe", True, True),
    ("cjk_ext_b", "𠀀𠀁𪚥", True, True),
]
TEXT_IDS = [t[0] for t in TEXTS]
NUMBERS = [2**63, 2**64, -1, 0, "1e3", "١٢", "9" * 30]
NUMBER_IDS = ["2**63", "2**64", "-1", "0", "1e3", "arabic_digits", "30_nines"]

CUSTOMERS_API = "/api/v1/customers/"
PROPOSALS_API = "/api/v1/proposals/"


def stored(text: str) -> str:
    """What a field keeps of allowed text: line breaks normalised."""
    return text.replace("\r\n", "\n")


def counts() -> tuple[int, int, int]:
    return Customer.objects.count(), ContactPoint.objects.count(), Proposal.objects.count()


def error_fields(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]["fields"]


ROLES = (Role.AFTERSALES_SPECIALIST, Role.CS_MANAGER, Role.AFTERSALES_MANAGER)


@pytest.fixture
def staff(client_for, make_staff):
    # Pages and answers speak the user's own language (their profile's).
    return client_for(make_staff("hostile", *ROLES, language="en"))


@pytest.fixture
def staff_zh(client_for, make_staff):
    return client_for(make_staff("hostile_zh", *ROLES, language="zh-hans"))


def post_json(client, url, body, language="en"):
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


# --- the API ---------------------------------------------------------------------


@pytest.mark.parametrize(("label", "text", "one_line", "lines"), TEXTS, ids=TEXT_IDS)
@pytest.mark.parametrize("field", ["name", "notes"])
def test_issue7_api_customer_text_is_refused_or_stored_exactly(
    staff, field, label, text, one_line, lines
):
    allowed = one_line if field == "name" else lines
    body = {"name": "王五", "email": "wangwu@example.com", field: f"王{text}"}
    before = counts()

    response = post_json(staff, CUSTOMERS_API, body)

    if allowed:
        assert response.status_code == 201, response.content
        assert getattr(Customer.objects.get(), field) == stored(f"王{text}")
    else:
        assert response.status_code == 422, response.content
        assert field in error_fields(response)
        assert counts() == before


@pytest.mark.parametrize(("label", "text", "one_line", "lines"), TEXTS, ids=TEXT_IDS)
@pytest.mark.parametrize("field", ["title", "content", "customer.name"])
def test_issue7_api_proposal_text_is_refused_or_stored_exactly(
    staff, field, label, text, one_line, lines
):
    body = {
        "customer": {"name": "王五", "email": "wangwu@example.com"},
        "channel": "phone",
        "title": "建议",
        "content": "内容",
    }
    allowed = lines if field == "content" else one_line
    if field == "customer.name":
        body["customer"]["name"] = f"王{text}"
    else:
        body[field] = f"王{text}"
    before = counts()

    response = post_json(staff, PROPOSALS_API, body)

    if allowed:
        assert response.status_code == 201, response.content
        proposal = Proposal.objects.select_related("customer").get()
        kept = proposal.customer.name if field == "customer.name" else getattr(proposal, field)
        assert kept == stored(f"王{text}")
    else:
        assert response.status_code == 422, response.content
        assert field in error_fields(response)
        assert counts() == before


def test_issue7_api_long_text_is_stored_whole_where_allowed_and_refused_clearly_elsewhere(
    staff, staff_zh
):
    body = {
        "customer": {"name": "王五", "email": "wangwu@example.com"},
        "channel": "phone",
        "title": "建议",
        "content": LONG,
    }
    created = post_json(staff, PROPOSALS_API, body)
    assert created.status_code == 201, created.content
    assert Proposal.objects.get().content == LONG

    before = counts()
    refused = post_json(staff_zh, PROPOSALS_API, {**body, "title": LONG})
    assert refused.status_code == 422
    assert error_fields(refused)["title"] == "最多 300 个字符。"
    assert counts() == before


def test_issue7_api_refusals_speak_the_users_language(staff, staff_zh):
    body = {"name": "Crlf\r\nBcc: victim@example.com", "email": "a@example.com"}

    english = post_json(staff, CUSTOMERS_API, body)
    chinese = post_json(staff_zh, CUSTOMERS_API, body)

    assert error_fields(english)["name"] == (
        "Line breaks, tabs and other control characters are not allowed here."
    )
    assert error_fields(chinese)["name"] == "此处不允许换行符、制表符或其他控制字符。"
    assert Customer.objects.count() == 0


def test_issue7_api_a_number_where_text_is_documented_is_refused(staff):
    response = post_json(staff, CUSTOMERS_API, {"name": 12345, "email": "a@example.com"})

    assert response.status_code == 422
    assert error_fields(response)["name"] == "Give text."


@pytest.fixture
def study_ready(staff):
    """A proposal just recorded through the API: its id and version."""
    response = post_json(
        staff,
        PROPOSALS_API,
        {
            "customer": {"name": "王五", "email": "wangwu@example.com"},
            "channel": "phone",
            "title": "建议",
            "content": "内容",
        },
    )
    return response.json()


@pytest.mark.parametrize("number", NUMBERS, ids=NUMBER_IDS)
def test_issue7_api_ids_out_of_range_never_give_500(staff, study_ready, number):
    pk, version = study_ready["id"], study_ready["version"]
    events_before = Proposal.objects.get(pk=pk).events.count()

    listed = [
        staff.get(PROPOSALS_API, {name: number}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        for name in ("customer", "department", "cursor")
    ]
    routed = post_json(
        staff, f"{PROPOSALS_API}{pk}/route", {"seen_version": version, "departments": [number]}
    )
    adopted = post_json(
        staff,
        f"{PROPOSALS_API}{pk}/adopt",
        {
            "seen_version": version,
            "implementing_department": number,
            "planned_date": "2030-01-01",
            "measures": "措施",
        },
    )
    stale = post_json(
        staff,
        f"{PROPOSALS_API}{pk}/accept",
        {"seen_version": number, "category": "service", "summary": "摘要"},
    )

    responses = [*listed, routed, adopted, stale]
    assert all(400 <= r.status_code < 500 for r in responses), [
        (r.status_code, r.content[:200]) for r in responses
    ]
    assert all(set(r.json()) == {"error"} for r in responses)
    assert "departments.0" in error_fields(routed)
    assert "implementing_department" in error_fields(adopted)
    assert Proposal.objects.get(pk=pk).events.count() == events_before


@pytest.mark.parametrize(
    "number", [2**63, 2**64, 0, "9" * 30], ids=["2**63", "2**64", "0", "30_nines"]
)
@pytest.mark.parametrize(
    "path",
    [
        PROPOSALS_API + "{}",
        PROPOSALS_API + "{}/acceptance-record.pdf",
        PROPOSALS_API + "evaluations/{}",
        CUSTOMERS_API + "{}",
        "/api/v1/notifications/{}",
        "/api/v1/policy/versions/{}",
    ],
)
def test_issue7_an_id_out_of_range_in_an_api_path_is_not_found(staff, path, number):
    response = staff.get(path.format(number))

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


# --- the portal and staff forms ---------------------------------------------------------


@pytest.mark.parametrize(("label", "text", "one_line", "lines"), TEXTS, ids=TEXT_IDS)
@pytest.mark.parametrize("field", ["name", "title", "content"])
def test_issue7_portal_form_refuses_or_stores_exactly(client, field, label, text, one_line, lines):
    from aftersales.portal.tests.helpers import submit

    allowed = lines if field == "content" else one_line
    before = counts()

    response = submit(client, **{field: f"王{text}"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code in (200, 302)
    if allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        proposal = Proposal.objects.select_related("customer").get()
        kept = proposal.customer.name if field == "name" else getattr(proposal, field)
        assert kept == stored(f"王{text}")
    else:
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert counts() == before


def test_issue7_portal_form_explains_the_refusal_in_the_visitors_language(client):
    from aftersales.portal.tests.helpers import submit

    english = submit(client, name="Crlf\r\nBcc: victim@example.com", HTTP_ACCEPT_LANGUAGE="en")
    chinese = submit(client, name="Crlf\r\nBcc: victim@example.com", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.context["form"].errors["name"] == [
        "Line breaks, tabs and other control characters are not allowed here."
    ]
    assert chinese.context["form"].errors["name"] == ["此处不允许换行符、制表符或其他控制字符。"]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(("label", "text", "one_line", "lines"), TEXTS, ids=TEXT_IDS)
@pytest.mark.parametrize("field", ["name", "notes"])
def test_issue7_staff_customer_form_refuses_or_stores_exactly(
    staff, field, label, text, one_line, lines
):
    allowed = one_line if field == "name" else lines
    data = {
        "kind": "person",
        "name": "王五",
        "email": "wangwu@example.com",
        "preferred_language": "zh-hans",
        field: f"王{text}",
    }
    before = counts()

    response = staff.post(reverse("customers:create"), data)

    if allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert getattr(Customer.objects.get(), field) == stored(f"王{text}")
    else:
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert counts() == before


@pytest.mark.parametrize("number", NUMBERS, ids=NUMBER_IDS)
def test_issue7_staff_list_filters_with_bad_ids_show_a_form_error(staff, number):
    response = staff.get(reverse("proposals:list"), {"customer": number, "department": number})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"customer", "department"}


@pytest.mark.parametrize("number", NUMBERS, ids=NUMBER_IDS)
def test_issue7_staff_pages_with_bad_ids_never_give_500(staff, study_ready, number):
    pk = study_ready["id"]
    before = Proposal.objects.get(pk=pk).version

    page = staff.get(f"/proposals/{number}/")
    export = staff.get(reverse("proposals:export"), {"customer": number})
    routed = staff.post(
        reverse("proposals:route", args=[pk]), {"seen_version": number, "departments": [number]}
    )
    older = staff.get(reverse("customers:list"), {"before": number})

    assert page.status_code == 404
    assert export.status_code == 400
    assert routed.status_code < 500
    assert older.status_code == 200
    assert Proposal.objects.get(pk=pk).version == before


def test_issue7_model_choice_fields_refuse_a_huge_pk_before_asking_the_database(department):
    from aftersales.accounts.models import Department
    from aftersales.core.fields import IdModelChoiceField, IdModelMultipleChoiceField

    one = IdModelChoiceField(queryset=Department.objects.all())
    several = IdModelMultipleChoiceField(queryset=Department.objects.all())
    for field, value in ((one, str(2**64)), (several, [str(2**64)]), (one, "١"), (several, ["-1"])):
        with pytest.raises(ValidationError):
            field.clean(value)
    assert one.clean(str(department.pk)) == department


# --- the mail pipe -----------------------------------------------------------------------


def pipe(raw: bytes) -> str:
    out = io.StringIO()
    call_command("intake_email", stdin=io.TextIOWrapper(io.BytesIO(raw)), stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize(("label", "text", "one_line", "lines"), TEXTS, ids=TEXT_IDS)
def test_issue7_mail_pipe_stores_hostile_text_cleaned(label, text, one_line, lines):
    """Mail cannot be refused: the proposal is stored, its text cleaned."""
    raw = samples.mail(
        f"From: {samples.word('王' + text)} <wangwu@example.cn>",
        "To: aftersales@example.test",
        f"Subject: {samples.word('建议' + text)}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        body=samples.b64(("正文" + text + "\n第二行").encode()),
    )

    line = pipe(raw)

    assert line.startswith("created P-"), line
    proposal = Proposal.objects.select_related("customer").get()
    for value in (proposal.title, proposal.customer.name, InboundMail.objects.get().subject):
        assert not any(ch in value for ch in "\x00\x07\x1b\r\n\x7f\x85\u2028\u2029\t")
    assert "\x00" not in proposal.content and "\r" not in proposal.content
    assert proposal.content.endswith("\n第二行")
    if one_line:
        assert proposal.title == "建议" + text
        assert proposal.customer.name == "王" + text


def test_issue7_mail_pipe_keeps_a_20000_character_unbroken_body_and_clips_the_subject():
    raw = samples.mail(
        "From: wangwu@example.cn",
        f"Subject: {samples.word(LONG[:2000])}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        body=samples.b64(LONG.encode()),
    )

    assert pipe(raw).startswith("created P-")
    proposal = Proposal.objects.get()
    assert proposal.content == LONG
    assert proposal.title == LONG[:300]


# --- text stored before: the data migration ------------------------------------------


def test_issue7_cleaning_stored_text_leaves_a_trace_in_the_audit_trail():
    """customers.0002_clean_control_characters: single lines lose their
    controls to spaces, several lines keep line breaks and tabs; each changed
    customer gets a history row with the reason, each proposal an event."""
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from aftersales.core.cleaning import REASON, clean_stored_text
    from aftersales.customers.tests.factories import make_customer
    from aftersales.proposals.models import ProposalEvent
    from aftersales.proposals.tests.factories import make_proposal

    nul = "\x00" if connection.vendor == "sqlite" else ""  # PostgreSQL never held one
    customer = make_customer(name="王五")
    untouched = make_customer(name="张三")
    proposal = make_proposal(customer=customer)
    Customer.objects.filter(pk=customer.pk).update(
        name=f"Crlf\r\nBcc: victim@example.com\x07{nul}", notes=f"a\r\nb\x0bc\td{nul}"
    )
    Proposal.objects.filter(pk=proposal.pk).update(
        title="T\u2028itle\x85", content=f"x\x1by\r\nz{nul}"
    )
    history_before = untouched.history.count()

    result = clean_stored_text(apps, SimpleNamespace(connection=connection))

    customer.refresh_from_db()
    proposal.refresh_from_db()
    assert customer.name == "Crlf Bcc: victim@example.com"
    assert customer.notes == "a\nbc\td"
    assert proposal.title == "T itle"
    assert proposal.content == "xy\nz"
    assert result["customers.Customer"] == 1 and result["proposals.Proposal"] == 1
    latest = customer.history.order_by("-history_id").first()
    assert (latest.history_change_reason, latest.name) == (REASON, customer.name)
    assert untouched.history.count() == history_before
    event = ProposalEvent.objects.filter(proposal=proposal).order_by("-id").first()
    assert event.note == REASON
    assert sorted(event.data["cleaned"]) == ["content", "title"]


def test_issue7_the_cleaning_migration_is_in_the_migration_graph():
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(connection).graph
    assert ("customers", "0002_clean_control_characters") in graph.nodes


# --- notices to a name stored with a line break ----------------------------------------


def _notify(customer):
    from aftersales.notifications.services import notify

    return notify(template="test_message", context={}, customer=customer)


def test_issue7_a_line_break_in_a_stored_name_no_longer_stops_the_customers_mail(smtp_server):
    from aftersales.customers.tests.factories import make_customer
    from aftersales.notifications.models import Status
    from aftersales.notifications.services import message_deliver

    customer = make_customer(name="王五", email="wangwu@example.com")
    Customer.objects.filter(pk=customer.pk).update(name="Crlf\r\nBcc: victim@example.com")

    message = message_deliver(message_id=_notify(customer).pk)

    assert message.status == Status.SENT
    [(recipients, mail, _reply)] = smtp_server.seen
    assert recipients == ["wangwu@example.com"]
    assert mail["To"].addresses[0].display_name == "Crlf Bcc: victim@example.com"
    assert mail["Bcc"] is None


def test_issue7_a_notice_no_retry_can_deliver_fails_at_once_and_tells_staff(
    smtp_server, client_for, make_staff
):
    from aftersales.customers.tests.factories import make_customer
    from aftersales.notifications.models import Status
    from aftersales.notifications.services import message_deliver

    customer = make_customer(name="王五", email="wangwu@example.com")
    ContactPoint.objects.filter(customer=customer, kind="email").update(
        value="wangwu@example.com\r\nBcc: victim@example.com"
    )

    message = message_deliver(message_id=_notify(customer).pk)

    assert (message.status, message.attempts, message.next_attempt_at) == (Status.FAILED, 1, None)
    assert smtp_server.seen == []
    english = client_for(make_staff("outbox_en", Role.CS_MANAGER, language="en"))
    chinese = client_for(make_staff("outbox_zh", Role.CS_MANAGER, language="zh-hans"))
    said_en = "This notice cannot be sent: the address is not valid."
    said_zh = "此通知无法发送：地址无效。"
    for client, said in ((english, said_en), (chinese, said_zh)):
        for url in (
            reverse("notifications:outbox"),
            message.get_absolute_url(),
            reverse("core:my_work"),
        ):
            page = client.get(url)
            assert page.status_code == 200
            assert said in page.content.decode(), url
