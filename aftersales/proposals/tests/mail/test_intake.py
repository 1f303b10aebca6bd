"""P4: what becomes of each mail: a proposal, a reply attached to one, a
duplicate, ignored automatic mail, or quarantine. Nothing is lost."""

import pytest
from django.core.exceptions import PermissionDenied

from aftersales.core.errors import DomainError
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.notifications.models import Status as MessageStatus
from aftersales.proposals.mail.intake import mail_intake, mail_retry
from aftersales.proposals.models import (
    Attachment,
    Channel,
    InboundMail,
    Proposal,
    ProposalEvent,
)
from aftersales.proposals.tests.factories import make_proposal
from aftersales.proposals.tests.mail import samples

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome


def intake(raw: bytes):
    return mail_intake(raw, source=InboundMail.Source.PIPE)


def stored_bytes(inbound: InboundMail) -> bytes:
    with inbound.raw.open("rb") as fh:
        return fh.read()


def test_p4_new_mail_becomes_a_proposal_with_customer_and_acknowledgement():
    raw = samples.gbk_mail(msgid="<gbk-1@mail.example.cn>")
    result = intake(raw)

    assert result.outcome == Outcome.CREATED
    proposal = Proposal.objects.get()
    assert result.proposal == proposal
    assert (proposal.channel, proposal.title, proposal.language) == (
        Channel.EMAIL,
        "关于退货流程的建议",
        "zh-hans",
    )
    assert proposal.content == "建议简化退货流程。签名：张喆、王堃"
    assert proposal.source_message_id == "<gbk-1@mail.example.cn>"
    customer = proposal.customer
    assert (customer.name, customer.preferred_language) == ("张喆", "zh-hans")
    assert customer.contacts.get().normalized == "zhangsan@example.cn"
    # The acknowledgement carries the reference and answers the customer's mail.
    ack = Message.objects.get(template="proposals/proposal_ack")
    assert proposal.reference in ack.subject
    assert ack.in_reply_to == "<gbk-1@mail.example.cn>"
    inbound = InboundMail.objects.get()
    assert (inbound.outcome, inbound.proposal, inbound.source) == (
        Outcome.CREATED,
        proposal,
        InboundMail.Source.PIPE,
    )
    assert inbound.dedupe_key == inbound.message_id == "<gbk-1@mail.example.cn>"
    assert inbound.subject == "关于退货流程的建议"
    assert inbound.mail_from == "张喆 <zhangsan@example.cn>"
    assert stored_bytes(inbound) == raw and inbound.size == len(raw)
    assert result.line == f"created {proposal.reference} mail#{inbound.pk}"


def test_p4_mail_from_a_known_customer_is_theirs_not_a_new_customer():
    customer = make_customer(email="ZhangSan@Example.cn", preferred_language="en")
    result = intake(samples.gbk_mail())
    assert result.proposal.customer == customer
    assert Customer.objects.count() == 1


def test_p4_english_mail_makes_an_english_customer():
    raw = samples.mail(
        "From: Jane Doe <jane@example.com>", "Subject: Packaging", body="Please improve it."
    )
    proposal = intake(raw).proposal
    assert (proposal.customer.name, proposal.customer.preferred_language) == ("Jane Doe", "en")
    assert proposal.language == "en"


def test_p4_mail_without_subject_is_titled_by_its_first_line():
    raw = samples.mail("From: li@example.cn", body="\n\n希望延长保修期。\n第二行")
    proposal = intake(raw).proposal
    assert proposal.title == "希望延长保修期。"
    assert proposal.customer.name == "li"


def test_p4_html_only_mail_is_stored_as_inert_text():
    proposal = intake(samples.html_only_mail()).proposal
    assert "<" not in proposal.content and "alert" not in proposal.content
    assert "夜间客服&热线" in proposal.content


def test_p4_the_same_message_id_is_never_taken_twice():
    raw = samples.gbk_mail(msgid="<twice@mail.example.cn>")
    first = intake(raw)
    again = intake(raw)
    # Relayed again with other trace headers: still the same mail.
    relayed = intake(b"Received: from relay.example.cn\r\n" + raw)

    assert again.outcome == relayed.outcome == Outcome.DUPLICATE
    assert again.inbound == relayed.inbound == first.inbound
    assert again.proposal == first.proposal
    assert again.line.startswith(f"duplicate {first.proposal.reference} mail#")
    assert Proposal.objects.count() == InboundMail.objects.count() == 1
    assert Message.objects.filter(template="proposals/proposal_ack").count() == 1


def test_p4_mail_without_message_id_is_recognised_by_a_hash_of_its_bytes():
    raw = samples.mail("From: a@example.cn", "Subject: 建议", body="内容", msgid=None)
    first = intake(raw)
    assert first.inbound.dedupe_key.startswith("sha256:")
    assert intake(raw).outcome == Outcome.DUPLICATE
    assert intake(raw + b"\r\n").outcome == Outcome.CREATED


def test_p4_attachments_are_kept_with_their_decoded_names():
    result = intake(samples.attachment_mail())
    attachments = list(result.proposal.attachments.order_by("pk"))
    assert [(a.original_name, a.content_type, a.kind) for a in attachments] == [
        ("改进建议.pdf", "application/pdf", Attachment.Kind.MAIL),
        ("现场照片.png", "image/png", Attachment.Kind.MAIL),
    ]
    assert all(a.inbound_mail == result.inbound for a in attachments)
    with attachments[0].file.open("rb") as fh:
        assert fh.read() == samples.PDF


def test_p4_inline_cid_image_is_kept_as_an_inline_attachment():
    result = intake(samples.inline_image_mail())
    (image,) = result.proposal.attachments.all()
    assert (image.kind, image.content_type) == (Attachment.Kind.INLINE, "image/png")


def test_p4_a_refused_attachment_does_not_lose_the_proposal():
    raw = samples.mail(
        "From: a@example.cn",
        "Subject: 带程序的建议",
        'Content-Type: multipart/mixed; boundary="B"',
        body=b"--B\nContent-Type: text/plain; charset=utf-8\n\n\xe5\xbb\xba\xe8\xae\xae\n"
        b"--B\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="setup.exe"\n'
        b"Content-Transfer-Encoding: base64\n\n" + samples.b64(b"MZ\x90\x00\x03").encode() + b"\n"
        b"--B\nContent-Type: application/pdf; name=ok.pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + samples.b64(samples.PDF).encode() + b"\n--B--\n",
    )
    result = intake(raw)

    assert result.outcome == Outcome.CREATED
    assert [a.original_name for a in result.proposal.attachments.all()] == ["ok.pdf"]
    assert "setup.exe" in result.inbound.error and "setup.exe" in result.line
    note = result.proposal.events.get(kind=ProposalEvent.Kind.NOTE)
    assert "setup.exe" in note.note
    # The refused file is still in the stored raw mail.
    assert b"TVqQAAM=" in stored_bytes(result.inbound)


@pytest.mark.parametrize(
    "raw",
    [
        samples.auto_reply_mail(),
        samples.mail("From: a@example.cn", "X-Autoreply: yes", "Subject: 外出", body="不在"),
        samples.mail("From: a@example.cn", "Precedence: bulk", "Subject: 通讯", body="月刊"),
        samples.mail("From: postmaster@example.cn", "Subject: 通知", body="x"),
        samples.mail("Return-Path: <>", "From: a@example.cn", "Subject: 回执", body="x"),
        samples.bounce_mail("<not-ours@example.test>"),
    ],
)
def test_p4_automatic_mail_never_becomes_a_proposal_nor_gets_an_answer(raw):
    result = intake(raw)
    assert result.outcome == Outcome.IGNORED and result.proposal is None
    assert result.line.startswith(f"ignored mail#{result.inbound.pk} ")
    assert not Proposal.objects.exists() and not Message.objects.exists()
    assert InboundMail.objects.get().outcome == Outcome.IGNORED


def test_p4_a_bounce_of_our_notice_marks_it_failed(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = make_proposal(customer=make_customer(email="gone@example.cn"))
    ack = Message.objects.get(template="proposals/proposal_ack", related_id=proposal.pk)
    assert ack.status == MessageStatus.SENT  # really delivered to the test SMTP server

    result = intake(samples.bounce_mail(ack.message_id, recipient="gone@example.cn"))

    assert result.outcome == Outcome.IGNORED
    assert f"bounce of message #{ack.pk}" in result.line
    ack.refresh_from_db()
    assert ack.status == MessageStatus.FAILED and "5.1.1" in ack.last_error
    assert Proposal.objects.count() == 1


@pytest.fixture
def answered():
    """A proposal by email from zhangsan@example.cn, and its acknowledgement."""
    proposal = intake(samples.gbk_mail(msgid="<original@mail.example.cn>")).proposal
    ack = Message.objects.get(template="proposals/proposal_ack")
    return proposal, ack


def _attached(result, proposal):
    assert result.outcome == Outcome.ATTACHED
    assert result.proposal == proposal
    assert Proposal.objects.count() == 1
    # No new acknowledgement: a reply is not a new proposal.
    assert Message.objects.count() == 1
    event = proposal.events.get(kind=ProposalEvent.Kind.MAIL)
    assert event.note == "补充说明：见附件。"
    assert event.data["inbound_mail"] == result.inbound.pk
    (photo,) = proposal.attachments.filter(inbound_mail=result.inbound)
    assert (photo.original_name, photo.kind) == ("photo.png", Attachment.Kind.MAIL)
    assert result.line == f"attached {proposal.reference} mail#{result.inbound.pk}"


def test_p4_reply_with_the_reference_in_its_subject_is_attached(answered):
    proposal, ack = answered
    raw = samples.reply_mail(sender="ZhangSan@example.cn", subject=f"回复：{ack.subject}")
    _attached(intake(raw), proposal)


def test_p4_reply_to_our_notice_is_threaded_by_in_reply_to(answered):
    proposal, ack = answered
    raw = samples.reply_mail(
        sender="zhangsan@example.cn", subject="Re: 没有编号", in_reply_to=ack.message_id
    )
    _attached(intake(raw), proposal)


def test_p4_follow_up_to_the_customers_own_first_mail_is_threaded(answered):
    proposal, _ack = answered
    raw = samples.reply_mail(
        sender="zhangsan@example.cn",
        subject="补充",
        in_reply_to=proposal.source_message_id,
    )
    _attached(intake(raw), proposal)


def test_p4_someone_else_quoting_a_reference_sends_a_new_proposal(answered):
    proposal, ack = answered
    raw = samples.reply_mail(
        sender="other@example.cn", subject=f"Fwd: {proposal.reference}", in_reply_to=ack.message_id
    )
    result = intake(raw)
    assert result.outcome == Outcome.CREATED
    assert result.proposal != proposal
    assert not proposal.events.filter(kind=ProposalEvent.Kind.MAIL).exists()


def test_p4_mail_that_cannot_be_handled_is_quarantined_raw_bytes_and_all():
    raw = samples.malformed_mail()
    result = intake(raw)
    assert result.outcome == Outcome.QUARANTINED and result.proposal is None
    inbound = InboundMail.objects.get()
    assert inbound.outcome == Outcome.QUARANTINED
    assert "no_sender" in inbound.error
    assert stored_bytes(inbound) == raw
    assert result.line.startswith(f"quarantined mail#{inbound.pk} no_sender")


def test_p4_an_invalid_sender_address_is_quarantined_not_lost():
    result = intake(samples.mail("From: 张三 <zhang@@example..cn>", "Subject: 建议", body="x"))
    assert result.outcome == Outcome.QUARANTINED
    assert not Proposal.objects.exists() and not Customer.objects.exists()


def test_p4_quarantined_mail_is_retried_once_the_cause_is_fixed(media_in_tmp, cs_manager):
    # The attachment store is broken (a file where its folder should be):
    # the proposal cannot be written, the mail is kept.
    media_in_tmp.mkdir(parents=True, exist_ok=True)
    blocker = media_in_tmp / "proposals"
    blocker.write_text("not a folder")
    result = intake(samples.attachment_mail())
    assert result.outcome == Outcome.QUARANTINED
    assert not Proposal.objects.exists() and not Customer.objects.exists()
    assert not Message.objects.exists()

    blocker.unlink()
    retried = mail_retry(inbound=result.inbound, by=cs_manager)

    assert retried.outcome == Outcome.CREATED
    inbound = InboundMail.objects.get()
    assert (inbound.outcome, inbound.proposal, inbound.error) == (
        Outcome.CREATED,
        retried.proposal,
        "",
    )
    assert inbound.retried_by == cs_manager and inbound.retried_at is not None
    assert retried.proposal.attachments.count() == 2
    assert Message.objects.filter(template="proposals/proposal_ack").count() == 1


def test_p4_a_retry_that_fails_again_stays_quarantined_with_the_new_error(cs_manager):
    inbound = intake(samples.malformed_mail()).inbound
    result = mail_retry(inbound=inbound, by=cs_manager)
    inbound.refresh_from_db()
    assert result.outcome == inbound.outcome == Outcome.QUARANTINED
    assert inbound.retried_by == cs_manager and "no_sender" in inbound.error


def test_p4_only_quarantined_mail_can_be_retried(cs_manager):
    inbound = intake(samples.gbk_mail()).inbound
    with pytest.raises(DomainError) as refused:
        mail_retry(inbound=inbound, by=cs_manager)
    assert refused.value.code == "not_quarantined"


def test_p4_retrying_quarantined_mail_needs_the_permission(worker):
    inbound = intake(samples.malformed_mail()).inbound
    with pytest.raises(PermissionDenied):
        mail_retry(inbound=inbound, by=worker)
