"""P4: proposals arrive by every channel, keep their channel and originals, get
a reference, and the customer is told that reference."""

import re
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from aftersales.core.errors import DomainError
from aftersales.core.roles import Role
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.proposals import services
from aftersales.proposals.models import Attachment, Channel, Proposal, ProposalEvent, Status
from aftersales.proposals.tests.factories import make_proposal, policy_in_force_with
from aftersales.proposals.uploads import check_upload

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^P-\d{4}-\d{6}$")


def written():
    """What intake writes: proposals, their events and messages."""
    return (Proposal.objects.count(), ProposalEvent.objects.count(), Message.objects.count())


@pytest.mark.parametrize("channel", Channel.values)
def test_p4_a_proposal_is_received_by_every_channel(channel, worker):
    # Letters and calls are typed in by staff; web and email arrive on their own.
    by = worker if channel in (Channel.LETTER, Channel.PHONE) else None
    customer = make_customer()

    proposal = make_proposal(customer=customer, channel=channel, by=by)

    proposal = Proposal.objects.get(pk=proposal.pk)
    assert proposal.channel == channel
    assert proposal.status == Status.RECEIVED
    assert proposal.customer == customer
    assert proposal.recorded_by == by
    event = proposal.events.get()
    assert (event.kind, event.new_status, event.by) == (ProposalEvent.Kind.RECEIVED, "received", by)
    assert event.data == {"channel": channel}


def test_p4_reference_is_p_year_and_six_digit_number():
    proposal = make_proposal()

    stored = Proposal.objects.get(pk=proposal.pk).reference
    assert REFERENCE.match(stored)
    assert stored == f"P-{timezone.localdate().year}-{proposal.pk:06d}"
    assert proposal.reference == stored


def test_p4_reference_carries_the_year_the_letter_was_received(worker):
    # A letter postmarked last year and typed in today is numbered in last year.
    last_year = timezone.localdate().year - 1
    received = timezone.make_aware(datetime(last_year, 12, 31, 16, 0))

    proposal = make_proposal(channel=Channel.LETTER, by=worker, received_at=received)

    assert proposal.reference == f"P-{last_year}-{proposal.pk:06d}"
    assert Proposal.objects.get(pk=proposal.pk).received_at == received


def test_p4_letter_keeps_its_scan_as_original_material(worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = check_upload("信件.pdf", b"%PDF-1.4\n% a scanned letter\n", max_bytes=10 * 2**20)

    proposal = make_proposal(
        channel=Channel.LETTER, by=worker, files=[(scan, Attachment.Kind.SCAN)]
    )

    attachment = proposal.attachments.get()
    assert attachment.kind == Attachment.Kind.SCAN
    assert attachment.content_type == "application/pdf"
    assert attachment.uploaded_by == worker
    assert attachment.file.read() == scan.data


def test_p4_customer_is_acknowledged_with_the_reference():
    customer = make_customer()

    proposal = make_proposal(customer=customer)

    message = Message.objects.get(customer=customer)
    assert message.template == "proposals/proposal_ack"
    assert proposal.reference in message.subject + message.body
    assert message.related == proposal
    assert message.auto_submitted == Message.AutoSubmitted.GENERATED


def test_p4_acknowledgement_email_reaches_the_mail_server(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks
):
    customer = make_customer(email="li.lei@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        proposal = make_proposal(customer=customer)

    message = Message.objects.get(customer=customer, template="proposals/proposal_ack")
    [mail] = smtp_server.accepted
    assert mail["To"].addresses[0].addr_spec == "li.lei@example.com"
    # RFC 3834: an automatic message, so autoresponders stay quiet.
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"] == message.message_id
    assert proposal.reference in mail["Subject"] + mail.get_content()


def test_p4_acknowledgement_of_an_email_replies_to_it(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks
):
    customer = make_customer()

    with django_capture_on_commit_callbacks(execute=True):
        make_proposal(
            customer=customer, channel=Channel.EMAIL, source_message_id="<abc@customer.test>"
        )

    [mail] = smtp_server.accepted
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<abc@customer.test>"
    assert mail["Message-ID"] == Message.objects.get(customer=customer).message_id


def test_p4_acknowledgements_to_one_customer_are_capped_per_day(general_manager):
    policy_in_force_with(general_manager, ack_max_per_address_per_day=2)
    customer, other = make_customer(), make_customer()

    first, second, third = (make_proposal(customer=customer) for _ in range(3))
    make_proposal(customer=other)

    acks = Message.objects.filter(customer=customer, template="proposals/proposal_ack")
    assert sorted(m.related_id for m in acks) == sorted([first.pk, second.pk])
    # The third is received all the same, with a note saying why no mail went.
    assert third.status == Status.RECEIVED
    assert third.events.filter(kind=ProposalEvent.Kind.NOTE).count() == 1
    assert first.events.filter(kind=ProposalEvent.Kind.NOTE).count() == 0
    # Another customer is not held back by the first one's count.
    assert Message.objects.filter(customer=other, template="proposals/proposal_ack").count() == 1


def test_p4_acknowledgement_cap_follows_the_default_policy():
    customer = make_customer()
    for _ in range(6):
        make_proposal(customer=customer)

    # ack_max_per_address_per_day defaults to 5.
    assert Message.objects.filter(customer=customer, template="proposals/proposal_ack").count() == 5


@pytest.mark.parametrize("channel", [Channel.LETTER, Channel.PHONE])
@pytest.mark.parametrize("persona", [None, "outsider", "quality_specialist", "general_manager"])
def test_p4_letters_and_calls_are_recorded_only_by_staff_who_may_add_proposals(
    channel, persona, request
):
    by = request.getfixturevalue(persona) if persona else None
    customer = make_customer()
    before = written()

    with pytest.raises(PermissionDenied):
        make_proposal(customer=customer, channel=channel, by=by)

    assert written() == before


@pytest.mark.parametrize("role", [Role.SERVICE_WORKER, Role.AFTERSALES_SPECIALIST])
def test_p4_staff_with_add_proposal_record_letters_and_calls(role, make_staff):
    by = make_staff("recorder", role)

    letter = make_proposal(channel=Channel.LETTER, by=by)
    call = make_proposal(channel=Channel.PHONE, by=by)

    assert (letter.recorded_by, call.recorded_by) == (by, by)


def test_p4_received_in_the_future_is_refused_and_nothing_written(worker):
    customer = make_customer()
    before = written()

    with pytest.raises(DomainError) as caught:
        make_proposal(
            customer=customer,
            channel=Channel.LETTER,
            by=worker,
            received_at=timezone.now() + timedelta(hours=1),
        )

    assert caught.value.code == "received_in_future"
    assert "received_at" in caught.value.fields
    assert written() == before


@pytest.mark.parametrize(
    ("title", "content", "field"),
    [
        ("", "内容", "title"),
        ("   ", "内容", "title"),
        ("标题", "", "content"),
        ("标题", " \n ", "content"),
    ],
)
def test_p4_blank_title_or_content_is_refused_and_nothing_written(title, content, field):
    customer = make_customer()
    before = written()

    with pytest.raises(DomainError) as caught:
        services.proposal_receive(
            customer=customer, channel=Channel.WEB, title=title, content=content
        )

    assert caught.value.code == "fields_required"
    assert set(caught.value.fields) == {field}
    assert written() == before


def test_p4_too_long_title_is_refused():
    before = written()

    with pytest.raises(DomainError) as caught:
        services.proposal_receive(
            customer=make_customer(),
            channel=Channel.WEB,
            title="长" * (services.TITLE_MAX + 1),
            content="内容",
        )

    assert caught.value.code == "too_long"
    assert written() == before


def test_p4_unknown_channel_is_refused():
    with pytest.raises(DomainError) as caught:
        services.proposal_receive(
            customer=make_customer(), channel="fax", title="标题", content="内容"
        )

    assert caught.value.code == "invalid_channel"
    assert not Proposal.objects.exists()


def test_p4_title_and_content_are_kept_trimmed_and_in_the_customers_language():
    customer = make_customer(preferred_language="en")

    proposal = services.proposal_receive(
        customer=customer, channel=Channel.WEB, title="  Longer hours  ", content=" Please. "
    )

    stored = Proposal.objects.get(pk=proposal.pk)
    assert (stored.title, stored.content, stored.language) == ("Longer hours", "Please.", "en")
