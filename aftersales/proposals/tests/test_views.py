"""Staff pages for one proposal: recording letters and calls (P4), the detail
page and its timeline, and the actions P5-P10 through their forms."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from aftersales.core.roles import Role
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.notifications.services import notify
from aftersales.proposals.models import (
    Attachment,
    Channel,
    CloseReason,
    Proposal,
    ProposalEvent,
    ReserveExtension,
    Status,
    StudyRequest,
)
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    fresh,
    make_department,
    make_proposal,
    studied,
    under_study,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# A Windows program: "MZ" header and NUL bytes, whatever its name says.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def translated(user, text: str) -> str:
    with translation.override(user.profile.language):
        return gettext(text)


def detail(client, proposal):
    return client.get(reverse("proposals:detail", args=[proposal.pk]))


def keys(response) -> set[str]:
    return {panel.action.key for panel in response.context["panels"]}


# --- P4: recording letters and telephone calls ---------------------------------


def record(**overrides):
    data = {
        "channel": "letter",
        "received_at": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "name": "王五",
        "email": "wang.wu@example.com",
        "phone": "",
        "postal_address": "上海市浦东新区世纪大道100号",
        "preferred_language": "zh-hans",
        "title": "关于保修期的建议",
        "content": "建议延长保修期。",
        "files": [SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")],
    }
    return data | overrides


def test_p4_the_record_form_takes_several_files(client_for, worker):
    response = client_for(worker).get(reverse("proposals:record"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="files" multiple' in page
    assert response.context["files_dropped"] is False


def test_p4_a_worker_records_a_letter_with_its_scan(client_for, worker):
    response = client_for(worker).post(reverse("proposals:record"), record())

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == proposal.get_absolute_url()
    assert (proposal.channel, proposal.recorded_by, proposal.status) == (
        Channel.LETTER,
        worker,
        Status.RECEIVED,
    )
    assert timezone.localtime(proposal.received_at).date() == timezone.localdate() - timedelta(
        days=2
    )
    scan = proposal.attachments.get()
    assert (scan.kind, scan.content_type, scan.original_name) == (
        Attachment.Kind.SCAN,
        "application/pdf",
        "scan.pdf",
    )
    assert scan.file.read() == PDF
    # P4: the customer gets an acknowledgement carrying the reference.
    assert Message.objects.filter(
        customer=proposal.customer, template="proposals/proposal_ack"
    ).exists()


def test_p4_a_call_is_recorded_with_several_call_notes(client_for, worker):
    notes = [
        SimpleUploadedFile("note-1.txt", "来电记录：客户建议。".encode(), "text/plain"),
        SimpleUploadedFile("note-2.pdf", PDF, "application/pdf"),
    ]
    response = client_for(worker).post(
        reverse("proposals:record"),
        record(channel="phone", email="", phone="139 1111 2222", files=notes),
    )

    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.channel == Channel.PHONE
    assert [a.kind for a in proposal.attachments.all()] == [Attachment.Kind.CALL_NOTE] * 2


def test_p4_record_finds_the_known_customer_by_email(client_for, worker):
    known = make_customer(name="王五", email="wang.wu@example.com", phone="")

    response = client_for(worker).post(
        reverse("proposals:record"), record(email=" Wang.Wu@EXAMPLE.com ", name="王先生")
    )

    assert response.status_code == 302
    assert Customer.objects.count() == 1
    assert Proposal.objects.get().customer == known


def test_p4_record_finds_the_known_customer_by_phone(client_for, worker):
    known = make_customer(name="赵六", email="", phone="138 1234 5678")

    response = client_for(worker).post(
        reverse("proposals:record"),
        record(channel="phone", email="", phone="+86 138-1234-5678", files=[]),
    )

    assert response.status_code == 302
    assert Customer.objects.count() == 1
    assert Proposal.objects.get().customer == known


def test_p4_an_exe_renamed_pdf_is_refused_by_its_content(client_for, worker):
    fake = SimpleUploadedFile("scan.pdf", EXE, content_type="application/pdf")

    response = client_for(worker).post(reverse("proposals:record"), record(files=[fake]))

    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert (Proposal.objects.count(), Customer.objects.count(), Attachment.objects.count()) == (
        0,
        0,
        0,
    )
    page = response.content.decode()
    # Nothing typed is lost; the files must be chosen again, and the page says so.
    assert (
        "关于保修期的建议" in page and "建议延长保修期。" in page and "wang.wu@example.com" in page
    )
    assert response.context["files_dropped"] is True


def test_p4_a_too_large_file_is_refused(client_for, worker, settings):
    from aftersales.policy.services import policy_value

    limit = int(policy_value("attachment_max_mb")) * 1024 * 1024
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * limit, content_type="application/pdf")

    response = client_for(worker).post(reverse("proposals:record"), record(files=[big]))

    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert Proposal.objects.count() == 0


def test_p4_a_letter_needs_its_scan(client_for, worker):
    response = client_for(worker).post(reverse("proposals:record"), record(files=[]))

    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert Proposal.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "required"), [("zh-hans", "这个字段是必填项。"), ("en", "This field is required.")]
)
def test_p4_record_errors_are_in_the_users_language(client_for, make_staff, language, required):
    clerk = make_staff("clerk", Role.SERVICE_WORKER, language=language)

    response = client_for(clerk).post(reverse("proposals:record"), record(title=""))

    assert response.status_code == 400
    assert response.context["form"].errors["title"] == [required]
    assert Proposal.objects.count() == 0


def test_p4_a_bad_contact_from_the_customer_service_is_shown_and_nothing_saved(client_for, worker):
    response = client_for(worker).post(
        reverse("proposals:record"), record(email="", phone="12 34", postal_address="")
    )

    assert response.status_code == 400
    assert "phone" in response.context["form"].errors
    assert (Proposal.objects.count(), Customer.objects.count()) == (0, 0)


def test_p4_a_received_date_in_the_future_is_refused(client_for, worker):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = client_for(worker).post(reverse("proposals:record"), record(received_at=tomorrow))

    assert "received_at" in response.context["form"].errors
    assert Proposal.objects.count() == 0


# --- the detail page ---------------------------------------------------------


def test_customer_written_html_shows_as_inert_text(client_for, worker):
    proposal = make_proposal(
        title="<img src=x onerror=alert(1)>", content="<script>alert('x')</script>\n第二行"
    )

    page = detail(client_for(worker), proposal).content.decode()

    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>第二行" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_detail_shows_the_record_studies_decision_and_timeline(
    client_for, specialist, cs_manager, rd
):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    response = detail(client_for(cs_manager), proposal)

    page = response.content.decode()
    assert proposal.reference in page
    assert "简化退货流程" in page  # acceptance summary (P5)
    assert "可行，建议采用。" in page  # study opinion (P5)
    assert "退货审批由三级改为一级。" in page  # measures (P7)
    timeline = response.context["timeline"]
    assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
    kinds = {e["event"].kind for e in timeline if "event" in e}
    assert {ProposalEvent.Kind.RECEIVED, ProposalEvent.Kind.OPINION} <= kinds
    templates = {e["notice"].template for e in timeline if "notice" in e}
    assert {
        "proposals/proposal_ack",
        "proposals/study_requested",
        "proposals/proposal_adopted",
    } <= templates


def test_detail_links_the_acceptance_pdf_only_when_that_page_exists(
    client_for, specialist, cs_manager
):
    proposal = accepted(make_proposal(), by=specialist)

    response = detail(client_for(cs_manager), proposal)

    try:
        url = reverse("proposals:acceptance_pdf", args=[proposal.pk])
    except NoReverseMatch:
        url = ""
    assert response.context["acceptance_pdf_url"] == url
    assert (url and url in response.content.decode()) or not url


def test_an_attachment_downloads_for_staff_and_not_for_an_outsider(client_for, worker, outsider):
    client_for(worker).post(reverse("proposals:record"), record())
    scan = Attachment.objects.get()
    url = reverse("proposals:attachment", args=[scan.pk])

    response = client_for(worker).get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert client_for(outsider).get(url).status_code == 403


def _add_events_and_notices(proposal, n, colleague):
    for i in range(n):
        ProposalEvent.objects.create(
            proposal=proposal,
            kind=ProposalEvent.Kind.NOTE,
            by=colleague,
            at=timezone.now(),
            note=f"备注 {i}",
        )
        notify(template="test_message", context={}, user=colleague, related=proposal)
        notify(
            template="generic",
            context={"subject": f"通知 {i}", "body": "内容"},
            customer=proposal.customer,
            related=proposal,
        )


def test_detail_query_count_does_not_grow_with_events_and_notices(
    client_for, specialist, cs_manager, rd, django_assert_max_num_queries
):
    # Under study with an opinion given: most sections and several forms show.
    one = under_study(make_proposal(), by=specialist, departments=[rd])
    many = under_study(make_proposal(), by=specialist, departments=[rd])
    _add_events_and_notices(one, 1, specialist)
    _add_events_and_notices(many, 30, specialist)
    c = client_for(cs_manager)
    detail(c, one)  # warm the session and permission caches for both counts
    with CaptureQueriesContext(connection) as with_one:
        assert detail(c, one).status_code == 200
    budget = len(with_one)

    with django_assert_max_num_queries(budget):
        response = detail(c, many)

    assert response.status_code == 200
    assert len(response.context["timeline"]) > 90
    assert budget <= 20, [q["sql"] for q in with_one.captured_queries]


# --- the actions through their forms -------------------------------------------


def post(client, name, target_pk, data, **kwargs):
    return client.post(reverse(f"proposals:{name}", args=[target_pk]), data, **kwargs)


def test_p5_accept_through_the_form(client_for, specialist):
    proposal = make_proposal()

    response = post(
        client_for(specialist),
        "accept",
        proposal.pk,
        {"seen_version": proposal.version, "category": "service", "summary": "简化退货"},
    )

    assert response.status_code == 302
    proposal = fresh(proposal)
    assert (proposal.status, proposal.accepted_by, proposal.summary) == (
        Status.ACCEPTED,
        specialist,
        "简化退货",
    )


def test_p5_a_missing_summary_is_shown_on_the_form_and_nothing_changes(client_for, specialist):
    proposal = make_proposal()

    response = post(
        client_for(specialist),
        "accept",
        proposal.pk,
        {"seen_version": proposal.version, "category": "service", "summary": ""},
    )

    assert response.status_code == 400
    panel = next(p for p in response.context["panels"] if p.action.key == "accept")
    assert "summary" in panel.form.errors
    assert fresh(proposal).status == Status.RECEIVED


def test_p5_close_a_duplicate_by_its_reference(client_for, specialist):
    original = make_proposal()
    repeat = make_proposal(customer=original.customer)

    response = post(
        client_for(specialist),
        "close",
        repeat.pk,
        {
            "seen_version": repeat.version,
            "reason": CloseReason.DUPLICATE,
            "note": "",
            "duplicate_of": original.reference.lower(),
        },
    )

    assert response.status_code == 302
    repeat = fresh(repeat)
    assert (repeat.status, repeat.duplicate_of) == (Status.CLOSED, original)


def test_p5_an_unknown_duplicate_reference_is_refused_on_the_form(client_for, specialist):
    proposal = make_proposal()

    response = post(
        client_for(specialist),
        "close",
        proposal.pk,
        {"seen_version": proposal.version, "reason": "duplicate", "duplicate_of": "P-1999-000001"},
    )

    assert response.status_code == 400
    assert fresh(proposal).status == Status.RECEIVED


def test_p5_route_to_departments_and_the_manager_writes_the_opinion(
    client_for, specialist, rd, rd_manager, make_staff
):
    qa = make_department(manager=make_staff("qamanager", Role.DEPARTMENT_MANAGER))
    proposal = accepted(make_proposal(), by=specialist)
    due = timezone.localdate() + timedelta(days=10)

    response = post(
        client_for(specialist),
        "route",
        proposal.pk,
        {"seen_version": fresh(proposal).version, "departments": [rd.pk, qa.pk], "due_date": due},
    )

    assert response.status_code == 302
    assert fresh(proposal).status == Status.UNDER_STUDY
    study = StudyRequest.objects.get(proposal=proposal, department=rd)
    assert study.due_date == due
    manager = client_for(rd_manager)
    assert "opinion" in keys(detail(manager, proposal))

    response = post(
        manager,
        "opinion",
        study.pk,
        {
            f"study{study.pk}-seen_version": fresh(proposal).version,
            f"study{study.pk}-opinion": "可行",
        },
    )

    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.opinion, study.opinion_by) == ("可行", rd_manager)


def test_p6_the_decision_waits_for_every_study_opinion(client_for, specialist, cs_manager, rd):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])

    response = detail(client_for(cs_manager), proposal)

    assert not keys(response) & {"adopt", "not_adopt", "reserve"}
    assert [s.department for s in response.context["waiting_studies"]] == [rd]


def test_p7_adopt_through_the_form_tells_the_customer(client_for, specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    planned = timezone.localdate() + timedelta(days=20)

    response = post(
        client_for(cs_manager),
        "adopt",
        proposal.pk,
        {
            "seen_version": proposal.version,
            "implementing_department": rd.pk,
            "planned_date": planned.isoformat(),
            "measures": "增加退货自助通道。",
            "note": "",
            "development_mode": "",
            "agreement_reference": "",
        },
    )

    assert response.status_code == 302
    proposal = fresh(proposal)
    assert (
        proposal.status,
        proposal.implementing_department,
        proposal.planned_implementation_date,
    ) == (
        Status.ADOPTED,
        rd,
        planned,
    )
    notice = Message.objects.get(customer=proposal.customer, template="proposals/proposal_adopted")
    assert "增加退货自助通道。" in notice.body


def test_p10_joint_development_needs_an_agreement_reference(client_for, specialist, cs_manager, rd):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    c = client_for(cs_manager)

    refused = post(
        c,
        "development",
        proposal.pk,
        {"seen_version": proposal.version, "development_mode": "joint", "agreement_reference": ""},
    )
    assert refused.status_code == 400
    assert fresh(proposal).development_mode == ""

    done = post(
        c,
        "development",
        proposal.pk,
        {
            "seen_version": proposal.version,
            "development_mode": "joint",
            "agreement_reference": "AG-2026-7",
        },
    )
    assert done.status_code == 302
    assert (fresh(proposal).development_mode, fresh(proposal).agreement_reference) == (
        "joint",
        "AG-2026-7",
    )


def test_p7_the_implementing_manager_records_implementation(
    client_for, specialist, cs_manager, rd, rd_manager
):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    response = post(
        client_for(rd_manager),
        "implemented",
        proposal.pk,
        {"seen_version": proposal.version, "note": "已上线"},
    )

    assert response.status_code == 302
    assert fresh(proposal).status == Status.IMPLEMENTED
    assert Message.objects.filter(template="proposals/proposal_implemented").exists()


def test_p8_not_adopt_through_the_form(client_for, specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])

    response = post(
        client_for(cs_manager),
        "not_adopt",
        proposal.pk,
        {"seen_version": proposal.version, "note": "暂不具备条件，感谢您的建议。"},
    )

    assert response.status_code == 302
    assert fresh(proposal).status == Status.NOT_ADOPTED


def test_p9_reserve_shows_the_limit_and_refuses_a_date_past_it(
    client_for, specialist, cs_manager, rd
):
    from aftersales.proposals.services import reserve_limit

    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    limit, _version = reserve_limit(timezone.localdate())
    c = client_for(cs_manager)
    assert limit.isoformat() in detail(c, proposal).content.decode()

    too_late = post(
        c,
        "reserve",
        proposal.pk,
        {
            "seen_version": proposal.version,
            "reason": "需要评估成本",
            "decide_by": (limit + timedelta(days=1)).isoformat(),
        },
    )
    assert too_late.status_code == 400
    panel = next(p for p in too_late.context["panels"] if p.action.key == "reserve")
    assert "decide_by" in panel.form.errors
    assert fresh(proposal).status == Status.UNDER_STUDY

    ok = post(
        c,
        "reserve",
        proposal.pk,
        {
            "seen_version": proposal.version,
            "reason": "需要评估成本",
            "decide_by": limit.isoformat(),
        },
    )
    assert ok.status_code == 302
    assert (fresh(proposal).status, fresh(proposal).decide_by) == (Status.RESERVED, limit)


def _reserved(proposal, *, by, decider, departments):
    from aftersales.proposals import services

    proposal = studied(proposal, by=by, departments=departments)
    return services.proposal_reserve(
        proposal=proposal,
        by=decider,
        reason="需要评估成本",
        decide_by=timezone.localdate() + timedelta(days=10),
        seen_version=proposal.version,
    )


def test_p9_the_aftersales_manager_extends_a_reserve_past_its_limit(
    client_for, specialist, cs_manager, aftersales_manager, rd
):
    from aftersales.proposals.services import reserve_limit

    proposal = _reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    limit, _version = reserve_limit(proposal.reserved_on, proposal.reserve_policy)
    later = limit + timedelta(days=30)

    response = post(
        client_for(aftersales_manager),
        "extend",
        proposal.pk,
        {"seen_version": proposal.version, "decide_by": later.isoformat(), "reason": "需要试点"},
    )

    assert response.status_code == 302
    extension = ReserveExtension.objects.get(proposal=proposal)
    assert (extension.approved_by, extension.new_decide_by) == (aftersales_manager, later)
    page = detail(client_for(cs_manager), proposal).content.decode()
    assert "需要试点" in page


def test_p9_the_cs_manager_extends_within_the_limit(client_for, specialist, cs_manager, rd):
    proposal = _reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    later = proposal.decide_by + timedelta(days=5)

    response = post(
        client_for(cs_manager),
        "extend",
        proposal.pk,
        {"seen_version": proposal.version, "decide_by": later.isoformat(), "reason": "等待报价"},
    )

    assert response.status_code == 302
    assert fresh(proposal).decide_by == later


# --- conflicts: two people on one proposal ---------------------------------------


def test_a_stale_seen_version_shows_the_conflict_and_changes_nothing(
    client_for, specialist, make_staff
):
    other = make_staff("other", Role.AFTERSALES_SPECIALIST)
    proposal = make_proposal()
    seen = proposal.version
    accepted(proposal, by=other)  # someone else acts first
    before = fresh(proposal)

    response = post(
        client_for(specialist),
        "close",
        proposal.pk,
        {"seen_version": seen, "reason": "other", "note": "我写的很长的说明"},
    )

    assert response.status_code == 409
    after = fresh(proposal)
    assert (after.status, after.version, after.close_note) == (Status.ACCEPTED, before.version, "")
    page = response.content.decode()
    assert translated(specialist, "This proposal changed while you were working on it.") in page
    assert "我写的很长的说明" in page  # what they typed is kept
    panel = next(p for p in response.context["panels"] if p.action.key == "close")
    # The kept form carries the current version: resending is now a deliberate choice.
    assert panel.form["seen_version"].value() == str(after.version)
    assert response.context["proposal"].status == Status.ACCEPTED


def test_a_form_without_its_version_counts_as_stale(client_for, specialist):
    proposal = make_proposal()

    response = post(
        client_for(specialist), "accept", proposal.pk, {"category": "service", "summary": "x"}
    )

    assert response.status_code == 409
    assert fresh(proposal).status == Status.RECEIVED


def test_a_stale_opinion_is_refused_with_the_text_kept(
    client_for, specialist, rd, rd_manager, make_staff
):
    qa = make_department(manager=make_staff("qamanager", Role.DEPARTMENT_MANAGER))
    proposal = under_study(make_proposal(), by=specialist, departments=[rd, qa])
    seen = proposal.version
    qa_study = StudyRequest.objects.get(proposal=proposal, department=qa)
    from aftersales.proposals import services

    services.study_opinion_submit(study=qa_study, by=qa.manager, opinion="同意", seen_version=seen)
    study = StudyRequest.objects.get(proposal=proposal, department=rd)

    response = post(
        client_for(rd_manager),
        "opinion",
        study.pk,
        {f"study{study.pk}-seen_version": seen, f"study{study.pk}-opinion": "研发部意见全文"},
    )

    assert response.status_code == 409
    assert "研发部意见全文" in response.content.decode()
    study.refresh_from_db()
    assert study.opinion == ""


# --- htmx: the action fragment comes back on its own ------------------------------


def test_htmx_errors_come_back_as_the_actions_fragment(client_for, specialist):
    proposal = make_proposal()

    response = post(
        client_for(specialist),
        "accept",
        proposal.pk,
        {"seen_version": proposal.version, "category": "", "summary": "保留我写的"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="action-accept"' in html
    assert "保留我写的" in html
    assert fresh(proposal).status == Status.RECEIVED


def test_htmx_success_redirects_the_browser_to_the_detail(client_for, specialist):
    proposal = make_proposal()

    response = post(
        client_for(specialist),
        "accept",
        proposal.pk,
        {"seen_version": proposal.version, "category": "service", "summary": "好"},
        headers={"HX-Request": "true"},
    )

    assert response["HX-Redirect"] == proposal.get_absolute_url()
    assert fresh(proposal).status == Status.ACCEPTED


def test_htmx_conflict_replaces_the_main_area_with_the_current_state(
    client_for, specialist, make_staff
):
    proposal = make_proposal()
    seen = proposal.version
    accepted(proposal, by=make_staff("other", Role.AFTERSALES_SPECIALIST))

    response = post(
        client_for(specialist),
        "accept",
        proposal.pk,
        {"seen_version": seen, "category": "service", "summary": "我的摘要"},
        headers={"HX-Request": "true"},
    )

    assert response["HX-Retarget"] == "#main" and response["HX-Reselect"] == "#main"
    assert "我的摘要" in response.content.decode()
    assert fresh(proposal).summary == "简化退货流程"
