"""The proposal endpoints under /api/v1/proposals (P4-P12): every read and
every action, who may take it, and what a refusal leaves behind (nothing)."""

import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from aftersales.accounts.services import api_token_create, api_token_revoke
from aftersales.core.roles import Role
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import services
from aftersales.proposals.models import (
    Attachment,
    Channel,
    InboundMail,
    Proposal,
    ProposalEvent,
    ReserveExtension,
    Status,
    StudyRequest,
)
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    error_envelope,
    fresh,
    make_department,
    make_proposal,
    post_json,
    studied,
    under_study,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/proposals/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def snapshot(proposal):
    """What a refused action must leave as it was."""
    row = fresh(proposal)
    return (
        row.status,
        row.version,
        ProposalEvent.objects.filter(proposal=row).count(),
        StudyRequest.objects.filter(proposal=row).count(),
        row.customer.messages.count(),
    )


def in_days(n):
    return (timezone.localdate() + timedelta(days=n)).isoformat()


# --- P4: recording a letter or a call ----------------------------------------------


def letter(**overrides):
    return {
        "customer": {"name": "王五", "email": "wang.wu@example.com"},
        "channel": "letter",
        "received_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "title": "关于保修期的建议",
        "content": "建议延长保修期。Longer warranty, please.",
    } | overrides


def test_p4_a_letter_is_recorded_for_a_customer_found_or_created_by_email(client_for, worker):
    client = client_for(worker)

    first = post_json(client, API, letter())
    again = post_json(
        client, API, letter(customer={"name": "王 五", "email": "WANG.WU@example.com"})
    )

    assert first.status_code == 201, first.content
    data = first.json()
    assert data["reference"].startswith(f"P-{timezone.localdate().year}-")
    assert (data["status"], data["channel"], data["customer"]["name"]) == (
        "received",
        "letter",
        "王五",
    )
    assert data["recorded_by"]["id"] == worker.pk
    assert [e["kind"] for e in data["events"]] == ["received"]
    # P4: the customer's acknowledgement carries the reference, and shows in the timeline.
    assert [(n["audience"], n["template"]) for n in data["notices"]] == [
        ("customer", "proposals/proposal_ack")
    ]
    assert again.status_code == 201
    assert again.json()["customer"]["id"] == data["customer"]["id"]
    assert Customer.objects.count() == 1


def test_p4_a_call_is_recorded_for_a_known_customer(client_for, worker):
    customer = make_customer(name="赵六", preferred_language="en")

    response = post_json(
        client_for(worker),
        API,
        letter(customer=None, customer_id=customer.pk, channel="phone", received_at=None),
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["customer"]["id"], data["channel"], data["language"]) == (
        customer.pk,
        "phone",
        "en",
    )


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"customer_id": 1}, 400, "customer_required", "customer"),
        ({"customer": None}, 400, "customer_required", "customer"),
        ({"customer": None, "customer_id": 424242}, 400, "unknown_customer", "customer_id"),
        ({"channel": "web"}, 422, "invalid", "channel"),
        ({"title": "   "}, 422, "invalid", "title"),
        ({"received_at": "yesterday"}, 422, "invalid", "received_at"),
        (
            {"received_at": (timezone.now() + timedelta(days=3)).isoformat()},
            400,
            "received_in_future",
            "received_at",
        ),
        (
            {"customer": {"name": "王五", "email": "not-an-address"}},
            400,
            "invalid_contact",
            "email",
        ),
    ],
)
def test_p4_a_bad_record_is_refused_naming_the_field_and_nothing_is_written(
    client_for, worker, overrides, status, code, field
):
    response = post_json(client_for(worker), API, letter(**overrides))

    assert response.status_code == status, response.content
    err = error_envelope(response)
    assert err["code"] == code
    assert field in err["fields"]
    assert Proposal.objects.count() == 0
    assert Customer.objects.count() == 0


def test_only_staff_who_record_proposals_may_record_one(client_for, quality_specialist, outsider):
    for user in (quality_specialist, outsider):
        response = post_json(client_for(user), API, letter())
        assert (response.status_code, error_envelope(response)["code"]) == (403, "forbidden")
    assert Proposal.objects.count() == 0


def test_p4_the_scanned_letter_is_attached_judged_by_its_content(
    settings, tmp_path, client_for, worker, outsider
):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    letter_ = post_json(client_for(worker), API, letter()).json()
    url = f"{API}{letter_['id']}/attachments"
    client = client_for(worker)

    scan = client.post(url, {"file": SimpleUploadedFile("来信.pdf", b"%PDF-1.4 scan")})
    disguised = client.post(url, {"file": SimpleUploadedFile("photo.pdf", b"MZ\x90\x00 binary")})
    refused = client_for(outsider).post(url, {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")})
    web = make_proposal()
    not_staff = client.post(
        f"{API}{web.pk}/attachments", {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}
    )

    assert scan.status_code == 201, scan.content
    assert (scan.json()["kind"], scan.json()["name"], scan.json()["content_type"]) == (
        "scan",
        "来信.pdf",
        "application/pdf",
    )
    assert (disguised.status_code, error_envelope(disguised)["code"]) == (400, "file_type")
    assert "files" in error_envelope(disguised)["fields"]
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")
    assert (not_staff.status_code, error_envelope(not_staff)["code"]) == (
        409,
        "not_recorded_by_staff",
    )
    detail = client.get(f"{API}{letter_['id']}").json()
    assert [a["name"] for a in detail["attachments"]] == ["来信.pdf"]
    # The timeline says when the original came and who attached it.
    assert any("来信.pdf" in (e.get("note") or "") for e in detail["events"])


# --- reading ---------------------------------------------------------------------


def test_the_detail_shows_every_record_of_an_implemented_proposal(
    client_for, specialist, cs_manager, rd, rd_manager
):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    services.proposal_implemented(
        proposal=proposal, by=cs_manager, note="已上线", seen_version=fresh(proposal).version
    )
    services.proposal_set_development(
        proposal=proposal,
        by=cs_manager,
        development_mode="joint",
        agreement_reference="AG-2026-7",
        seen_version=fresh(proposal).version,
    )

    response = client_for(specialist).get(f"{API}{proposal.pk}")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "implemented"
    assert data["acceptance"]["accepted_by"]["id"] == specialist.pk
    assert data["acceptance"]["category"] == "service"
    [study] = data["study_requests"]
    assert (study["department"]["id"], study["opinion_by"]["id"]) == (rd.pk, rd_manager.pk)
    assert study["opinion"] == "可行，建议采用。"
    assert data["decision"]["decided_by"]["id"] == cs_manager.pk
    assert data["implementation"]["department"]["id"] == rd.pk
    assert data["implementation"]["measures"] == "退货审批由三级改为一级。"
    assert data["implementation"]["note"] == "已上线"
    assert data["development"] == {"mode": "joint", "agreement_reference": "AG-2026-7"}
    assert data["closure"] is None and data["reserve"] is None
    assert data["version"] == fresh(proposal).version
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[0] == "received" and kinds[-1] == "development"
    assert {"study_requested", "opinion", "status"} <= set(kinds)
    customer_notices = [n["template"] for n in data["notices"] if n["audience"] == "customer"]
    assert customer_notices == [
        "proposals/proposal_ack",
        "proposals/proposal_adopted",
        "proposals/proposal_implemented",
    ]
    assert "proposals/study_requested" in [n["template"] for n in data["notices"]]


def test_the_detail_lists_attachments_by_name_and_size_without_their_bytes(client_for, worker):
    from aftersales.proposals.uploads import check_upload

    scan = check_upload("来信.pdf", b"%PDF-1.4 scanned letter", max_bytes=10**6)
    proposal = make_proposal(channel="letter", by=worker, files=[(scan, "scan")])

    data = client_for(worker).get(f"{API}{proposal.pk}").json()

    [attachment] = data["attachments"]
    assert (attachment["name"], attachment["kind"], attachment["size"]) == (
        "来信.pdf",
        "scan",
        len(b"%PDF-1.4 scanned letter"),
    )
    assert attachment["content_type"] == "application/pdf"
    assert "scanned letter" not in str(data)


def detail_queries(client, proposal) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{API}{proposal.pk}")
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_the_detail_costs_the_same_queries_however_long_the_history(
    client_for, specialist, cs_manager, aftersales_manager, make_staff
):
    client = client_for(specialist)
    client.get(f"{API}0")  # the session and permission caches are warm in both counts below
    short = make_proposal()
    departments = [
        make_department(manager=make_staff(f"manager{i}", Role.DEPARTMENT_MANAGER))
        for i in range(3)
    ]
    long = studied(make_proposal(), by=specialist, departments=departments)
    services.proposal_reserve(
        proposal=long,
        by=cs_manager,
        reason="待预算",
        decide_by=timezone.localdate() + timedelta(days=10),
        seen_version=fresh(long).version,
    )
    for days in (20, 30):
        services.proposal_reserve_extend(
            proposal=long,
            by=cs_manager,
            decide_by=timezone.localdate() + timedelta(days=days),
            reason="再等",
            seen_version=fresh(long).version,
        )

    one = detail_queries(client, short)
    many = detail_queries(client, long)

    assert len(client.get(f"{API}{long.pk}").json()["reserve_extensions"]) == 2
    assert many == one, (one, many)
    # session, user, profile, roles by delegation, permissions, the proposal with its
    # joins, the customer's contacts, attachments, duplicates, studies, extensions,
    # events, notices (the selector loads what the HTML page shows too)
    assert one <= 13, one


def test_outsiders_may_not_read_proposals(client_for, outsider):
    proposal = make_proposal()
    client = client_for(outsider)

    responses = [client.get(API), client.get(f"{API}{proposal.pk}")]

    assert [(r.status_code, error_envelope(r)["code"]) for r in responses] == [
        (403, "forbidden")
    ] * 2


def test_an_unknown_proposal_answers_404_in_the_error_shape(client_for, cs_manager):
    client = client_for(cs_manager)

    assert error_envelope(client.get(f"{API}424242"))["code"] == "not_found"
    response = post_json(client, f"{API}424242/not-adopt", {"seen_version": 1, "note": "x"})
    assert (response.status_code, error_envelope(response)["code"]) == (404, "not_found")


@pytest.mark.pdf
def test_p5_the_acceptance_record_pdf_is_read_for_an_accepted_proposal_only(
    client_for, worker, specialist, outsider, rd
):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    not_accepted = make_proposal()
    client = client_for(worker)

    response = client.get(f"{API}{proposal.pk}/acceptance-record.pdf", {"lang": "en"})
    too_early = client.get(f"{API}{not_accepted.pk}/acceptance-record.pdf")
    refused = client_for(outsider).get(f"{API}{proposal.pk}/acceptance-record.pdf")
    missing = client.get(f"{API}424242/acceptance-record.pdf")

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert (
        f'filename="{proposal.reference}-acceptance-record.pdf"'
        in (response["Content-Disposition"])
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Proposal acceptance record" in text and proposal.reference in text
    assert (too_early.status_code, error_envelope(too_early)["code"]) == (409, "p5_not_accepted")
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")
    assert (missing.status_code, error_envelope(missing)["code"]) == (404, "not_found")


def test_p4_an_attachment_downloads_for_staff_only_and_never_inline(
    media, client_for, worker, outsider
):
    from aftersales.proposals.uploads import check_upload

    body = b"%PDF-1.4 scanned letter"
    scan = check_upload("来信.pdf", body, max_bytes=10**6)
    make_proposal(channel="letter", by=worker, files=[(scan, "scan")])
    attachment = Attachment.objects.get()
    url = f"{API}attachments/{attachment.pk}"

    response = client_for(worker).get(url)
    refused = client_for(outsider).get(url)
    missing = client_for(worker).get(f"{API}attachments/424242")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body
    assert response["Content-Disposition"].startswith("attachment;")
    # 来信.pdf, the typed stem isolated (U+2068 ... U+2069), the extension outside it.
    assert "%E2%81%A8%E6%9D%A5%E4%BF%A1%E2%81%A9.pdf" in response["Content-Disposition"]
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")
    assert (missing.status_code, error_envelope(missing)["code"]) == (404, "not_found")


# --- the list ----------------------------------------------------------------------


def test_the_list_shows_proposals_newest_first_filtered_by_status(client_for, worker, specialist):
    older = make_proposal(title="保修期 older")
    newer = make_proposal(title="退货 newer")
    accepted(older, by=specialist)
    client = client_for(worker)

    everything = client.get(API)
    received = client.get(API, {"status": "received"})

    assert everything.status_code == 200, everything.content
    assert [r["id"] for r in everything.json()["items"]] == [newer.pk, older.pk]
    assert [r["id"] for r in received.json()["items"]] == [newer.pk]
    row = everything.json()["items"][1]
    assert (row["reference"], row["status"], row["customer"]["id"]) == (
        older.reference,
        "accepted",
        older.customer_id,
    )


def test_walking_the_list_pages_returns_every_proposal_once(client_for, worker):
    made = [make_proposal().pk for _ in range(7)]
    client = client_for(worker)
    ids, cursor = [], None
    while True:
        page = client.get(API, {"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        ids += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert ids == sorted(made, reverse=True)


def test_a_list_limit_out_of_range_is_refused_naming_it(client_for, worker):
    response = client_for(worker).get(API, {"limit": 1000})

    assert response.status_code == 422
    assert "limit" in error_envelope(response)["fields"]


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(API, {"limit": 50})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_1_and_30_proposals(client_for, worker, specialist):
    client = client_for(worker)
    client.get(API)
    make_proposal()
    one = list_queries(client)
    for i in range(29):
        proposal = make_proposal()
        if i % 2:
            accepted(proposal, by=specialist)

    thirty = list_queries(client)

    assert len(client.get(API, {"limit": 50}).json()["items"]) == 30
    assert thirty == one


# --- the XLSX export ---------------------------------------------------------------------


def workbook_rows(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="proposals-\d{8}-\d{4}\.xlsx"', disposition)
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows())


def test_the_xlsx_export_is_the_filtered_list_and_customer_formulas_stay_text(
    client_for, cs_manager
):
    letter_ = make_proposal(
        channel=Channel.LETTER,
        by=cs_manager,
        title='=HYPERLINK("http://evil.example/","点我")',
        acknowledge=False,
    )
    make_proposal(title="=1+1 on the web", acknowledge=False)

    header, *rows = workbook_rows(
        client_for(cs_manager).get(f"{API}export.xlsx", {"channel": "letter"})
    )

    assert len(header) == 10
    assert [row[0].value for row in rows] == [letter_.reference]
    title = rows[0][5]
    assert title.value == letter_.title
    assert title.data_type == "s" and title.quotePrefix


def test_the_xlsx_export_follows_the_search(client_for, cs_manager):
    hit = make_proposal(title="保修", content="保修期", acknowledge=False)
    make_proposal(title="别的", content="无关", acknowledge=False)

    _header, *rows = workbook_rows(client_for(cs_manager).get(f"{API}export.xlsx", {"q": "保修"}))

    assert [row[0].value for row in rows] == [hit.reference]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"received_from": "2026-13-01"}, "received_from"),
        ({"status": "bogus"}, "status"),
        ({"department": "abc"}, "department"),
        ({"customer": "x"}, "customer"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_an_export_filter_that_is_not_valid_is_refused_naming_it_not_dropped(
    client_for, cs_manager, params, field
):
    make_proposal(acknowledge=False)

    response = client_for(cs_manager).get(f"{API}export.xlsx", params)

    assert (response.status_code, error_envelope(response)["code"]) == (400, "invalid_filter")
    assert field in error_envelope(response)["fields"]


def test_only_those_who_may_export_get_the_xlsx(client_for, worker, outsider):
    make_proposal(acknowledge=False)

    for user in (worker, outsider):
        response = client_for(user).get(f"{API}export.xlsx")
        assert (response.status_code, error_envelope(response)["code"]) == (403, "forbidden")


# --- P5: acceptance and closing ------------------------------------------------------


def test_p5_accepting_records_who_when_category_and_summary(client_for, specialist):
    proposal = make_proposal()

    response = post_json(
        client_for(specialist),
        f"{API}{proposal.pk}/accept",
        {"seen_version": proposal.version, "category": "product", "summary": "保修期"},
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "accepted"
    assert data["acceptance"]["accepted_by"]["id"] == specialist.pk
    assert (data["acceptance"]["category"], data["acceptance"]["summary"]) == ("product", "保修期")
    assert data["version"] == fresh(proposal).version > proposal.version


def test_p5_accepting_with_a_stale_version_answers_409_and_changes_nothing(
    client_for, specialist, cs_manager
):
    proposal = make_proposal()
    seen = proposal.version
    services.proposal_close(
        proposal=proposal, by=cs_manager, reason="spam", seen_version=seen
    )  # someone else acted first
    before = snapshot(proposal)

    response = post_json(
        client_for(specialist),
        f"{API}{proposal.pk}/accept",
        {"seen_version": seen, "category": "product", "summary": "保修期"},
    )

    assert response.status_code == 409
    assert error_envelope(response)["code"] == "stale_version"
    assert snapshot(proposal) == before


def test_p5_a_closed_proposal_cannot_be_accepted_409_transition_forbidden(
    client_for, specialist, cs_manager
):
    proposal = services.proposal_close(
        proposal=make_proposal(), by=cs_manager, reason="spam", seen_version=None
    )
    before = snapshot(proposal)

    response = post_json(
        client_for(specialist),
        f"{API}{proposal.pk}/accept",
        {"seen_version": fresh(proposal).version, "category": "product", "summary": "x"},
    )

    assert response.status_code == 409
    assert error_envelope(response)["code"] == "transition_forbidden"
    assert snapshot(proposal) == before


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"category": "weather", "summary": "x"}, 422, "invalid", "category"),
        ({"category": "product", "summary": " "}, 422, "invalid", "summary"),
        ({"category": "product"}, 422, "invalid", "summary"),
        ({"category": "product", "summary": "x", "seen_version": "one"}, 422, "invalid", None),
    ],
)
def test_p5_a_bad_acceptance_is_refused_naming_the_field(
    client_for, specialist, body, status, code, field
):
    proposal = make_proposal()
    before = snapshot(proposal)

    response = post_json(
        client_for(specialist), f"{API}{proposal.pk}/accept", {"seen_version": 1} | body
    )

    assert response.status_code == status, response.content
    err = error_envelope(response)
    assert err["code"] == code
    assert field in err["fields"] if field else "seen_version" in err["fields"]
    assert snapshot(proposal) == before


def test_p5_a_service_worker_may_not_accept_close_or_route(client_for, worker, rd):
    proposal = make_proposal()
    before = snapshot(proposal)
    client = client_for(worker)
    v = proposal.version

    responses = [
        post_json(
            client,
            f"{API}{proposal.pk}/accept",
            {"seen_version": v, "category": "product", "summary": "x"},
        ),
        post_json(client, f"{API}{proposal.pk}/close", {"seen_version": v, "reason": "spam"}),
        post_json(client, f"{API}{proposal.pk}/route", {"seen_version": v, "departments": [rd.pk]}),
    ]

    assert [(r.status_code, error_envelope(r)["code"]) for r in responses] == [
        (403, "forbidden")
    ] * 3
    assert snapshot(proposal) == before


def test_p5_a_duplicate_is_closed_linked_to_the_original_and_its_customer_told(
    client_for, specialist
):
    original = make_proposal()
    repeat = make_proposal()

    response = post_json(
        client_for(specialist),
        f"{API}{repeat.pk}/close",
        {"seen_version": repeat.version, "reason": "duplicate", "duplicate_of": original.pk},
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "closed"
    assert data["closure"] == {
        "reason": "duplicate",
        "note": "",
        "duplicate_of": original.pk,
        "duplicate_of_reference": original.reference,
    }
    assert [n["template"] for n in data["notices"]] == [
        "proposals/proposal_ack",
        "proposals/proposal_duplicate",
    ]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"reason": "other"}, "note_required", "note"),
        ({"reason": "duplicate"}, "duplicate_of_required", "duplicate_of"),
        ({"reason": "duplicate", "duplicate_of": 424242}, "unknown_proposal", "duplicate_of"),
        ({"reason": "boredom"}, "invalid", "reason"),
    ],
)
def test_p5_closing_without_what_the_reason_needs_is_refused(
    client_for, specialist, body, code, field
):
    proposal = make_proposal()
    before = snapshot(proposal)

    response = post_json(
        client_for(specialist), f"{API}{proposal.pk}/close", {"seen_version": 1} | body
    )

    # A reason not in the list is refused by the schema (422, issue 7 item 7).
    assert response.status_code == (422 if code == "invalid" else 400), response.content
    assert (error_envelope(response)["code"], field in error_envelope(response)["fields"]) == (
        code,
        True,
    )
    assert snapshot(proposal) == before


# --- P5: study ------------------------------------------------------------------------


def test_p5_routing_asks_each_department_by_its_due_date(client_for, specialist, rd, make_staff):
    qa = make_department(manager=make_staff("qamanager", Role.DEPARTMENT_MANAGER))
    proposal = accepted(make_proposal(), by=specialist)

    response = post_json(
        client_for(specialist),
        f"{API}{proposal.pk}/route",
        {
            "seen_version": fresh(proposal).version,
            "departments": [rd.pk, qa.pk],
            "due_date": in_days(7),
        },
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "under_study"
    assert {(s["department"]["id"], s["due_date"]) for s in data["study_requests"]} == {
        (rd.pk, in_days(7)),
        (qa.pk, in_days(7)),
    }


def test_p5_routing_a_received_proposal_is_409_and_an_unknown_department_400(
    client_for, specialist, rd
):
    proposal = make_proposal()
    before = snapshot(proposal)
    client = client_for(specialist)

    too_early = post_json(
        client,
        f"{API}{proposal.pk}/route",
        {"seen_version": proposal.version, "departments": [rd.pk]},
    )
    unknown = post_json(
        client,
        f"{API}{proposal.pk}/route",
        {"seen_version": proposal.version, "departments": [424242]},
    )
    none = post_json(
        client, f"{API}{proposal.pk}/route", {"seen_version": proposal.version, "departments": []}
    )

    assert (too_early.status_code, error_envelope(too_early)["code"]) == (
        409,
        "transition_forbidden",
    )
    assert (unknown.status_code, error_envelope(unknown)["code"]) == (400, "unknown_department")
    assert "departments" in error_envelope(unknown)["fields"]
    assert (none.status_code, error_envelope(none)["code"]) == (422, "invalid")
    assert snapshot(proposal) == before


def test_p5_the_department_manager_gives_the_study_opinion_once(
    client_for, specialist, rd, rd_manager, cs_manager
):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()
    url = f"{API}studies/{study.pk}/opinion"

    refused = post_json(
        client_for(cs_manager), url, {"seen_version": proposal.version, "opinion": "好"}
    )
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")
    assert not StudyRequest.objects.get(pk=study.pk).is_answered

    given = post_json(
        client_for(rd_manager), url, {"seen_version": proposal.version, "opinion": "可行"}
    )
    again = post_json(
        client_for(rd_manager), url, {"seen_version": fresh(proposal).version, "opinion": "再议"}
    )

    assert given.status_code == 200, given.content
    [opinion] = given.json()["study_requests"]
    assert (opinion["opinion"], opinion["opinion_by"]["id"]) == ("可行", rd_manager.pk)
    assert (again.status_code, error_envelope(again)["code"]) == (409, "opinion_given")
    assert StudyRequest.objects.get(pk=study.pk).opinion == "可行"


def test_p5_an_opinion_written_on_a_stale_proposal_is_409(client_for, specialist, rd, rd_manager):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()

    response = post_json(
        client_for(rd_manager),
        f"{API}studies/{study.pk}/opinion",
        {"seen_version": proposal.version - 1, "opinion": "可行"},
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "stale_version")
    assert not StudyRequest.objects.get(pk=study.pk).is_answered


# --- P6-P9: the decision -----------------------------------------------------------------


def adopt_body(proposal, rd, **overrides):
    return {
        "seen_version": fresh(proposal).version,
        "implementing_department": rd.pk,
        "planned_date": in_days(30),
        "measures": "退货审批由三级改为一级。",
    } | overrides


def test_p7_the_customer_service_manager_adopts_with_department_date_and_measures(
    client_for, specialist, cs_manager, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])

    response = post_json(
        client_for(cs_manager), f"{API}{proposal.pk}/adopt", adopt_body(proposal, rd)
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "adopted"
    assert data["implementation"]["department"]["id"] == rd.pk
    assert data["implementation"]["planned_date"] == in_days(30)
    assert data["decision"]["decided_by"]["id"] == cs_manager.pk
    assert data["notices"][-1]["template"] == "proposals/proposal_adopted"


@pytest.mark.parametrize("persona", ["worker", "specialist", "rd_manager", "general_manager"])
def test_p6_only_the_customer_service_manager_decides(request, client_for, specialist, rd, persona):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = snapshot(proposal)
    client = client_for(request.getfixturevalue(persona))
    v = fresh(proposal).version

    responses = [
        post_json(client, f"{API}{proposal.pk}/adopt", adopt_body(proposal, rd)),
        post_json(client, f"{API}{proposal.pk}/not-adopt", {"seen_version": v, "note": "谢谢"}),
        post_json(
            client,
            f"{API}{proposal.pk}/reserve",
            {"seen_version": v, "reason": "预算", "decide_by": in_days(10)},
        ),
    ]

    assert [(r.status_code, error_envelope(r)["code"]) for r in responses] == [
        (403, "forbidden")
    ] * 3
    assert snapshot(proposal) == before


def test_p7_adopting_while_a_study_is_pending_is_409_and_changes_nothing(
    client_for, specialist, cs_manager, rd
):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    before = snapshot(proposal)

    response = post_json(
        client_for(cs_manager), f"{API}{proposal.pk}/adopt", adopt_body(proposal, rd)
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "study_pending")
    assert snapshot(proposal) == before


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"measures": ""}, 422, "invalid", "measures"),
        ({"planned_date": "next week"}, 422, "invalid", "planned_date"),
        ({"planned_date": "2001-01-01"}, 400, "planned_in_past", "planned_date"),
        ({"implementing_department": 424242}, 400, "unknown_department", "implementing_department"),
        ({"development_mode": "joint"}, 400, "p10_agreement_required", "agreement_reference"),
    ],
)
def test_p7_an_adoption_without_what_the_customer_must_be_told_is_refused(
    client_for, specialist, cs_manager, rd, overrides, status, code, field
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = snapshot(proposal)

    response = post_json(
        client_for(cs_manager), f"{API}{proposal.pk}/adopt", adopt_body(proposal, rd, **overrides)
    )

    assert response.status_code == status, response.content
    assert error_envelope(response)["code"] == code
    assert field in error_envelope(response)["fields"]
    assert snapshot(proposal) == before


def test_p8_not_adopting_tells_and_thanks_the_customer(client_for, specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])

    response = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/not-adopt",
        {"seen_version": proposal.version, "note": "成本过高，感谢建议。"},
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["decision"]["note"]) == ("not_adopted", "成本过高，感谢建议。")
    assert data["notices"][-1]["template"] == "proposals/proposal_not_adopted"


def test_p6_a_decided_proposal_cannot_be_decided_again(client_for, specialist, cs_manager, rd):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    before = snapshot(proposal)

    response = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/not-adopt",
        {"seen_version": fresh(proposal).version, "note": "改主意了"},
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "transition_forbidden")
    assert snapshot(proposal) == before


def test_p9_reserving_past_the_limit_is_refused_naming_decide_by(
    client_for, specialist, cs_manager, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = snapshot(proposal)

    response = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/reserve",
        {"seen_version": proposal.version, "reason": "等预算", "decide_by": in_days(61)},
    )

    assert (response.status_code, error_envelope(response)["code"]) == (400, "p9_reserve_too_long")
    assert "decide_by" in error_envelope(response)["fields"]
    assert snapshot(proposal) == before


def test_p9_a_reserve_past_its_limit_needs_the_aftersales_manager(
    client_for, specialist, cs_manager, aftersales_manager, worker, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    reserved = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/reserve",
        {"seen_version": proposal.version, "reason": "等预算", "decide_by": in_days(30)},
    )
    assert reserved.status_code == 200, reserved.content
    assert reserved.json()["reserve"]["decide_by"] == in_days(30)
    url = f"{API}{proposal.pk}/extend-reserve"
    past_limit = {
        "seen_version": fresh(proposal).version,
        "reason": "预算未定",
        "decide_by": in_days(90),
    }

    by_worker = post_json(client_for(worker), url, past_limit)
    by_cs_manager = post_json(client_for(cs_manager), url, past_limit)
    assert [(r.status_code, error_envelope(r)["code"]) for r in (by_worker, by_cs_manager)] == [
        (403, "forbidden")
    ] * 2
    assert not ReserveExtension.objects.exists()

    approved = post_json(client_for(aftersales_manager), url, past_limit)

    assert approved.status_code == 200, approved.content
    data = approved.json()
    assert data["reserve"]["decide_by"] == in_days(90)
    [extension] = data["reserve_extensions"]
    assert (extension["new_decide_by"], extension["approved_by"]["id"]) == (
        in_days(90),
        aftersales_manager.pk,
    )
    assert extension["reason"] == "预算未定"


def test_p9_extending_a_proposal_that_is_not_reserved_is_409(client_for, cs_manager):
    proposal = make_proposal()

    response = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/extend-reserve",
        {"seen_version": proposal.version, "reason": "x", "decide_by": in_days(10)},
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "not_reserved")


# --- P7 / P10: after adoption ---------------------------------------------------------------


def test_p7_implementation_is_recorded_and_the_customer_told(
    client_for, specialist, cs_manager, worker, rd
):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    url = f"{API}{proposal.pk}/implemented"

    refused = post_json(client_for(worker), url, {"seen_version": fresh(proposal).version})
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")

    done = post_json(
        client_for(cs_manager), url, {"seen_version": fresh(proposal).version, "note": "完成"}
    )

    assert done.status_code == 200, done.content
    data = done.json()
    assert data["status"] == "implemented"
    assert data["implementation"]["implemented_by"]["id"] == cs_manager.pk
    assert data["notices"][-1]["template"] == "proposals/proposal_implemented"


def test_p7_a_proposal_not_adopted_cannot_be_implemented(client_for, specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = snapshot(proposal)

    response = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/implemented",
        {"seen_version": fresh(proposal).version},
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "transition_forbidden")
    assert snapshot(proposal) == before


def test_p10_joint_development_needs_an_agreement_reference(client_for, specialist, cs_manager, rd):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    url = f"{API}{proposal.pk}/development"
    client = client_for(cs_manager)

    missing = post_json(
        client, url, {"seen_version": fresh(proposal).version, "development_mode": "joint"}
    )
    assert (missing.status_code, error_envelope(missing)["code"]) == (400, "p10_agreement_required")
    assert "agreement_reference" in error_envelope(missing)["fields"]

    done = post_json(
        client,
        url,
        {
            "seen_version": fresh(proposal).version,
            "development_mode": "joint",
            "agreement_reference": "AG-7",
        },
    )

    assert done.status_code == 200, done.content
    assert done.json()["development"] == {"mode": "joint", "agreement_reference": "AG-7"}


def test_p10_a_proposal_not_adopted_has_no_development_mode(client_for, cs_manager):
    proposal = make_proposal()

    response = post_json(
        client_for(cs_manager),
        f"{API}{proposal.pk}/development",
        {"seen_version": proposal.version, "development_mode": "company"},
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "not_adopted")
    assert fresh(proposal).development_mode == ""


# --- P4: quarantined mail -----------------------------------------------------------------


def test_p4_quarantined_mail_is_listed_for_those_who_handle_it(client_for, specialist, worker):
    def mail(n, outcome):
        return InboundMail.objects.create(
            dedupe_key=f"<m{n}@example.com>",
            message_id=f"<m{n}@example.com>",
            source="imap",
            raw=f"mail/2026/01/m{n}.eml",
            size=100 + n,
            mail_from="客户 <c@example.com>",
            subject=f"建议 {n}",
            outcome=outcome,
            error="cannot decode" if outcome == "quarantined" else "",
        )

    stuck = mail(1, "quarantined")
    taken = mail(2, "created")

    listed = client_for(specialist).get(f"{API}inbound-mail")
    every = client_for(specialist).get(f"{API}inbound-mail", {"outcome": ""})
    refused = client_for(worker).get(f"{API}inbound-mail")

    assert listed.status_code == 200, listed.content
    assert [(m["id"], m["error"]) for m in listed.json()["items"]] == [(stuck.pk, "cannot decode")]
    assert [m["id"] for m in every.json()["items"]] == [taken.pk, stuck.pk]
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")


# --- P4: retrying quarantined mail -----------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def quarantined(raw: bytes) -> InboundMail:
    """A mail kept in quarantine, as the intake keeps one whose handling failed."""
    from django.core.files.base import ContentFile

    inbound = InboundMail(
        dedupe_key=f"test:{InboundMail.objects.count()}",
        source="pipe",
        size=len(raw),
        subject="建议",
        outcome="quarantined",
        error="OperationalError: database is locked",
    )
    inbound.raw.save("stuck.eml", ContentFile(raw), save=False)
    inbound.save()
    return inbound


def test_p4_a_quarantined_mail_retried_once_the_cause_is_fixed_becomes_a_proposal(
    media, client_for, specialist
):
    from aftersales.proposals.tests.mail import samples

    inbound = quarantined(samples.gbk_mail(msgid="<api-retry@mail.example.cn>"))

    response = post_json(client_for(specialist), f"{API}inbound-mail/{inbound.pk}/retry", {})

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "created"
    proposal = Proposal.objects.get()
    assert data["proposal_id"] == proposal.pk and proposal.channel == "email"
    assert (data["mail"]["outcome"], data["mail"]["error"]) == ("created", "")
    assert data["mail"]["retried_at"] is not None


def test_p4_retrying_is_for_mail_handlers_and_for_quarantined_mail_only(
    media, client_for, specialist, worker
):
    from aftersales.proposals.mail.intake import mail_intake
    from aftersales.proposals.tests.mail import samples

    taken = mail_intake(samples.gbk_mail(), source="pipe").inbound
    stuck = quarantined(samples.malformed_mail())

    refused = post_json(client_for(worker), f"{API}inbound-mail/{stuck.pk}/retry", {})
    not_stuck = post_json(client_for(specialist), f"{API}inbound-mail/{taken.pk}/retry", {})
    still_bad = post_json(client_for(specialist), f"{API}inbound-mail/{stuck.pk}/retry", {})

    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")
    assert (not_stuck.status_code, error_envelope(not_stuck)["code"]) == (409, "not_quarantined")
    assert still_bad.status_code == 200, still_bad.content
    assert still_bad.json()["outcome"] == "quarantined"
    assert InboundMail.objects.get(pk=stuck.pk).retried_by == specialist


def test_p4_a_mail_is_read_with_its_outcome_and_files_and_its_raw_bytes_downloaded(
    media, client_for, specialist, worker
):
    from aftersales.proposals.mail.intake import mail_intake
    from aftersales.proposals.tests.mail import samples

    raw = samples.attachment_mail()
    taken = mail_intake(raw, source="pipe")
    inbound = taken.inbound
    client = client_for(specialist)

    response = client.get(f"{API}inbound-mail/{inbound.pk}")
    download = client.get(f"{API}inbound-mail/{inbound.pk}/raw")

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["outcome"], data["source"], data["size"]) == ("created", "pipe", len(raw))
    assert data["subject"] == "附件建议" and "wang@example.cn" in data["mail_from"]
    assert (data["proposal_id"], data["proposal_reference"]) == (
        taken.proposal.pk,
        taken.proposal.reference,
    )
    assert data["error"] == "" and data["retried_by"] is None and data["created_at"]
    assert sorted((a["name"], a["kind"]) for a in data["attachments"]) == [
        ("改进建议.pdf", "mail"),
        ("现场照片.png", "mail"),
    ]
    assert all(a["size"] > 0 for a in data["attachments"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == raw
    assert f'filename="mail-{inbound.pk}.eml"' in download["Content-Disposition"]


def test_p4_a_quarantined_mail_shows_its_error_and_only_mail_handlers_read_it(
    media, client_for, specialist, worker
):
    from aftersales.proposals.tests.mail import samples

    stuck = quarantined(samples.malformed_mail())
    client = client_for(specialist)

    data = client.get(f"{API}inbound-mail/{stuck.pk}").json()
    refused = [
        client_for(worker).get(f"{API}inbound-mail/{stuck.pk}{tail}") for tail in ("", "/raw")
    ]
    missing = [client.get(f"{API}inbound-mail/424242{tail}") for tail in ("", "/raw")]

    assert (data["outcome"], data["error"]) == (
        "quarantined",
        "OperationalError: database is locked",
    )
    assert (data["proposal_id"], data["proposal_reference"], data["attachments"]) == (
        None,
        None,
        [],
    )
    assert [(r.status_code, error_envelope(r)["code"]) for r in refused] == [(403, "forbidden")] * 2
    assert [(r.status_code, error_envelope(r)["code"]) for r in missing] == [(404, "not_found")] * 2


# --- the summary ----------------------------------------------------------------------------


def test_the_summary_counts_by_status_and_lists_reserves_near_their_date(
    client_for, worker, specialist, cs_manager, rd
):
    make_proposal(channel="letter", by=worker)
    reserved = studied(make_proposal(), by=specialist, departments=[rd])
    services.proposal_reserve(
        proposal=reserved,
        by=cs_manager,
        reason="等预算",
        decide_by=timezone.localdate() + timedelta(days=3),
        seen_version=reserved.version,
    )

    response = client_for(worker).get(f"{API}summary")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["total"] == 2
    by_status = {row["code"]: row["count"] for row in data["by_status"]}
    assert (by_status["received"], by_status["reserved"]) == (1, 1)
    assert {row["code"]: row["count"] for row in data["by_channel"]}["letter"] == 1
    assert [row["department"]["id"] for row in data["by_department"]] == [rd.pk]
    [due] = data["reserves_due"]
    assert (due["id"], due["days_left"]) == (reserved.pk, 3)


def test_outsiders_may_not_read_the_summary(client_for, outsider):
    response = client_for(outsider).get(f"{API}summary")

    assert (response.status_code, error_envelope(response)["code"]) == (403, "forbidden")


# --- P11: evaluation and reward ---------------------------------------------------------------


def scores(c, f, b):
    return {"creativity": c, "feasibility": f, "benefit": b}


def test_p11_a_proposal_is_scored_graded_approved_and_paid_through_the_api(
    client_for, adopted_proposal, cs_manager, general_manager, aftersales_manager, rd_manager
):
    opened = post_json(
        client_for(cs_manager),
        f"{API}{adopted_proposal.pk}/evaluation",
        {"seen_version": fresh(adopted_proposal).version},
    )
    assert opened.status_code == 201, opened.content
    evaluation = opened.json()
    assert {m["id"] for m in evaluation["members"]} == {
        general_manager.pk,
        aftersales_manager.pk,
        rd_manager.pk,
    }
    url = f"{API}evaluations/{evaluation['id']}"

    first = post_json(client_for(general_manager), f"{url}/scores", scores(9, 9, 9))
    assert first.status_code == 201, first.content
    # P11: while scoring runs, another member sees who scored, not the scores.
    seen_by_other = client_for(aftersales_manager).get(url).json()["scores"]
    seen_by_author = client_for(general_manager).get(url).json()["scores"]
    assert [(s["member"]["id"], s["creativity"]) for s in seen_by_other] == [
        (general_manager.pk, None)
    ]
    assert float(seen_by_author[0]["creativity"]) == 9
    twice = post_json(client_for(general_manager), f"{url}/scores", scores(1, 1, 1))
    assert (twice.status_code, error_envelope(twice)["code"]) == (409, "p11_already_scored")

    post_json(client_for(aftersales_manager), f"{url}/scores", scores(9, 9, 9))
    graded = post_json(client_for(rd_manager), f"{url}/scores", scores(9, 9, 9)).json()
    assert (graded["status"], graded["grade"], float(graded["amount"])) == ("graded", "A", 2000)
    # Once graded, the member sees their own scores; the chair sees them all.
    assert [s["creativity"] is not None for s in graded["scores"]].count(True) == 1
    seen_by_chair = client_for(general_manager).get(url).json()["scores"]
    assert all(s["creativity"] is not None for s in seen_by_chair)

    stale = post_json(client_for(general_manager), f"{url}/approve", {"seen_version": 1})
    assert (stale.status_code, error_envelope(stale)["code"]) == (409, "stale_version")
    by_cs_manager = post_json(
        client_for(cs_manager), f"{url}/approve", {"seen_version": graded["version"]}
    )
    assert (by_cs_manager.status_code, error_envelope(by_cs_manager)["code"]) == (403, "forbidden")
    approved = post_json(
        client_for(general_manager), f"{url}/approve", {"seen_version": graded["version"]}
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_by"]["id"] == general_manager.pk

    paid = post_json(
        client_for(cs_manager),
        f"{url}/pay",
        {"seen_version": approved.json()["version"], "payment_reference": "PAY-2026-1"},
    )

    assert paid.status_code == 200, paid.content
    assert (paid.json()["status"], paid.json()["payment_reference"]) == ("paid", "PAY-2026-1")
    detail = client_for(cs_manager).get(f"{API}{adopted_proposal.pk}").json()
    assert detail["evaluation"]["status"] == "paid"
    assert detail["notices"][-1]["template"] == "proposals/reward_granted"


def test_p11_the_chair_closes_scoring_early_with_a_reason(
    client_for, adopted_proposal, cs_manager, general_manager
):
    opened = post_json(
        client_for(cs_manager),
        f"{API}{adopted_proposal.pk}/evaluation",
        {"seen_version": fresh(adopted_proposal).version},
    ).json()
    url = f"{API}evaluations/{opened['id']}"
    post_json(client_for(general_manager), f"{url}/scores", scores(6, 6, 6))

    no_reason = post_json(client_for(general_manager), f"{url}/close", {"note": ""})
    not_chair = post_json(client_for(cs_manager), f"{url}/close", {"note": "出差"})
    closed = post_json(client_for(general_manager), f"{url}/close", {"note": "两位委员出差"})

    assert (no_reason.status_code, error_envelope(no_reason)["code"]) == (422, "invalid")
    assert "note" in error_envelope(no_reason)["fields"]
    assert (not_chair.status_code, error_envelope(not_chair)["code"]) == (403, "forbidden")
    assert closed.status_code == 200, closed.content
    data = closed.json()
    assert (data["status"], data["grade"]) == ("graded", "C")
    assert (data["closed_early_by"]["id"], data["closed_early_note"]) == (
        general_manager.pk,
        "两位委员出差",
    )


def test_p11_who_may_not_open_or_score_an_evaluation(
    client_for, adopted_proposal, cs_manager, worker, general_manager, make_staff
):
    proposal_url = f"{API}{adopted_proposal.pk}/evaluation"
    v = fresh(adopted_proposal).version
    refused_open = post_json(client_for(worker), proposal_url, {"seen_version": v})
    assert (refused_open.status_code, error_envelope(refused_open)["code"]) == (403, "forbidden")
    evaluation = post_json(client_for(cs_manager), proposal_url, {"seen_version": v}).json()
    url = f"{API}evaluations/{evaluation['id']}/scores"
    late_member = make_staff("latecomer", Role.COMMITTEE_MEMBER)

    by_worker = post_json(client_for(worker), url, scores(5, 5, 5))
    by_late_member = post_json(client_for(late_member), url, scores(5, 5, 5))
    out_of_scale = post_json(client_for(general_manager), url, scores(11, 5, 5))
    not_a_number = post_json(client_for(general_manager), url, scores("high", 5, 5))

    assert (by_worker.status_code, error_envelope(by_worker)["code"]) == (403, "forbidden")
    assert (by_late_member.status_code, error_envelope(by_late_member)["code"]) == (
        403,
        "p11_not_a_member",
    )
    assert (
        out_of_scale.status_code == 400 and "creativity" in error_envelope(out_of_scale)["fields"]
    )
    assert (
        not_a_number.status_code == 422 and "creativity" in error_envelope(not_a_number)["fields"]
    )
    again = post_json(
        client_for(cs_manager), proposal_url, {"seen_version": fresh(adopted_proposal).version}
    )
    assert (again.status_code, error_envelope(again)["code"]) == (409, "p11_evaluation_exists")


def test_p11_a_proposal_not_adopted_is_not_evaluated(client_for, cs_manager, general_manager):
    proposal = make_proposal()

    response = post_json(
        client_for(cs_manager), f"{API}{proposal.pk}/evaluation", {"seen_version": proposal.version}
    )

    assert (response.status_code, error_envelope(response)["code"]) == (409, "p11_not_adopted")


# --- P12: certificates ------------------------------------------------------------------------


def test_p12_certificates_are_issued_once_and_listed_by_year(media, client_for, cs_manager, worker):
    from datetime import date, datetime, time

    from aftersales.policy.tests.factories import move_version_one_to

    move_version_one_to(date(2000, 1, 1))
    year = timezone.localdate().year - 1
    loyal = make_customer(name="王小明")
    for month in (1, 4, 7):
        make_proposal(
            customer=loyal,
            received_at=timezone.make_aware(datetime.combine(date(year, month, 1), time(10))),
        )
    client = client_for(cs_manager)

    refused = post_json(client_for(worker), f"{API}certificates/issue", {"year": year})
    first = post_json(client, f"{API}certificates/issue", {"year": year})
    again = post_json(client, f"{API}certificates/issue", {"year": year})
    this_year = post_json(client, f"{API}certificates/issue", {"year": year + 1})

    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")
    assert first.status_code == 201, first.content
    [certificate] = first.json()["issued"]
    assert (certificate["number"], certificate["customer"]["id"]) == (f"C-{year}-0001", loyal.pk)
    assert (certificate["proposals_count"], certificate["issued_by"]["id"]) == (3, cs_manager.pk)
    assert again.status_code == 201 and again.json()["issued"] == []
    assert (this_year.status_code, error_envelope(this_year)["code"]) == (400, "p12_year_not_over")
    assert "year" in error_envelope(this_year)["fields"]
    listed = client.get(f"{API}certificates", {"year": year}).json()["items"]
    assert [row["number"] for row in listed] == [f"C-{year}-0001"]
    assert client.get(f"{API}certificates", {"year": year - 1}).json()["items"] == []
    # P12: as on the staff page, only those who issue certificates list them.
    hidden = client_for(worker).get(f"{API}certificates", {"year": year})
    assert (hidden.status_code, error_envelope(hidden)["code"]) == (403, "forbidden")

    pdf = client.get(f"{API}certificates/{certificate['id']}/file")
    assert pdf.status_code == 200, pdf.content
    assert pdf["Content-Type"] == "application/pdf"
    assert f'filename="C-{year}-0001.pdf"' in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    refused_file = client_for(worker).get(f"{API}certificates/{certificate['id']}/file")
    missing = client.get(f"{API}certificates/424242/file")
    assert (refused_file.status_code, error_envelope(refused_file)["code"]) == (403, "forbidden")
    assert (missing.status_code, error_envelope(missing)["code"]) == (404, "not_found")


# --- My work ------------------------------------------------------------------------------


def test_my_work_lists_what_waits_on_the_user_or_nothing(client_for, specialist, worker, outsider):
    waiting = make_proposal()

    mine = client_for(specialist).get(f"{API}my-work")
    none = client_for(worker).get(f"{API}my-work")
    refused = client_for(outsider).get(f"{API}my-work")

    assert mine.status_code == 200, mine.content
    # P5: the specialist accepts proposals; a received one waits on them.
    [item] = mine.json()
    assert set(item) == {"label", "url", "note"}
    assert waiting.reference in item["label"] and item["note"]
    assert item["url"] == reverse("proposals:detail", args=[waiting.pk])
    assert (none.status_code, none.json()) == (200, [])
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "forbidden")


# --- authentication -------------------------------------------------------------------------


def test_an_api_token_acts_without_a_session_or_csrf_token(specialist):
    _token, raw = api_token_create(user=specialist, name="script")
    proposal = make_proposal()
    client = Client(enforce_csrf_checks=True)

    response = post_json(
        client,
        f"{API}{proposal.pk}/accept",
        {"seen_version": proposal.version, "category": "service", "summary": "经接口受理"},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 200, response.content
    assert response.json()["acceptance"]["accepted_by"]["id"] == specialist.pk


def test_a_revoked_or_missing_token_answers_401(specialist):
    token, raw = api_token_create(user=specialist, name="script")
    api_token_revoke(token=token, by=specialist)
    client = Client()

    revoked = client.get(API, HTTP_AUTHORIZATION=f"Bearer {raw}")
    anonymous = client.get(API)

    assert [(r.status_code, error_envelope(r)["code"]) for r in (revoked, anonymous)] == [
        (401, "unauthenticated")
    ] * 2


def test_a_session_post_needs_the_csrf_token(specialist):
    proposal = make_proposal()
    before = snapshot(proposal)
    client = Client(enforce_csrf_checks=True)
    client.force_login(specialist, backend="aftersales.accounts.backends.RoleBackend")
    body = {"seen_version": proposal.version, "category": "service", "summary": "受理"}
    url = f"{API}{proposal.pk}/accept"

    refused = post_json(client, url, body)
    assert (refused.status_code, error_envelope(refused)["code"]) == (403, "csrf_failed")
    assert snapshot(proposal) == before

    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    accepted_ = post_json(client, url, body, HTTP_X_CSRFTOKEN=secret)

    assert accepted_.status_code == 200, accepted_.content
    assert fresh(proposal).status == Status.ACCEPTED


# --- the schema -------------------------------------------------------------------------------


def test_the_openapi_schema_describes_every_proposal_endpoint(client_for, worker):
    schema = client_for(worker).get("/api/v1/openapi.json").json()

    paths = {
        path: ops for path, ops in schema["paths"].items() if path.startswith("/api/v1/proposals")
    }
    expected = (
        {
            ("get", "/api/v1/proposals/"),
            ("post", "/api/v1/proposals/"),
            ("post", "/api/v1/proposals/{proposal_id}/attachments"),
            ("get", "/api/v1/proposals/{proposal_id}"),
            ("get", "/api/v1/proposals/inbound-mail"),
            ("post", "/api/v1/proposals/inbound-mail/{mail_id}/retry"),
            ("get", "/api/v1/proposals/summary"),
            ("post", "/api/v1/proposals/studies/{study_id}/opinion"),
            ("post", "/api/v1/proposals/{proposal_id}/evaluation"),
            ("get", "/api/v1/proposals/evaluations/{evaluation_id}"),
            ("post", "/api/v1/proposals/certificates/issue"),
            ("get", "/api/v1/proposals/certificates"),
            ("get", "/api/v1/proposals/export.xlsx"),
            ("get", "/api/v1/proposals/{proposal_id}/acceptance-record.pdf"),
            ("get", "/api/v1/proposals/attachments/{attachment_id}"),
            ("get", "/api/v1/proposals/certificates/{certificate_id}/file"),
            ("get", "/api/v1/proposals/inbound-mail/{mail_id}"),
            ("get", "/api/v1/proposals/inbound-mail/{mail_id}/raw"),
            ("get", "/api/v1/proposals/my-work"),
        }
        | {
            ("post", f"/api/v1/proposals/evaluations/{{evaluation_id}}/{action}")
            for action in ("scores", "close", "approve", "pay")
        }
        | {
            ("post", f"/api/v1/proposals/{{proposal_id}}/{action}")
            for action in (
                "accept",
                "close",
                "route",
                "adopt",
                "not-adopt",
                "reserve",
                "extend-reserve",
                "implemented",
                "development",
            )
        }
    )
    found = {(method, path) for path, ops in paths.items() for method in ops}
    assert expected <= found
    for method, path in expected:
        operation = paths[path][method]
        assert operation["summary"] and operation["description"], (method, path)
    accept = paths["/api/v1/proposals/{proposal_id}/accept"]["post"]
    assert {"200", "403", "409", "422"} <= set(accept["responses"])
    # A download says what it answers with, instead of a JSON body.
    files = {
        "/api/v1/proposals/export.xlsx": XLSX,
        "/api/v1/proposals/{proposal_id}/acceptance-record.pdf": "application/pdf",
        "/api/v1/proposals/certificates/{certificate_id}/file": "application/pdf",
        "/api/v1/proposals/inbound-mail/{mail_id}/raw": "message/rfc822",
    }
    for path, media_type in files.items():
        answer = paths[path]["get"]["responses"]["200"]
        assert answer["content"][media_type]["schema"]["format"] == "binary", path
