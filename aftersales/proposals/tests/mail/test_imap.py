"""P4: the intake reads a real IMAP server (Dovecot on loopback), takes each
message on its own and moves it to the done folder, never deleting it."""

import pytest

from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.proposals.mail.imap import imap_poll
from aftersales.proposals.models import Attachment, InboundMail, Proposal, ProposalEvent
from aftersales.proposals.tests.factories import make_proposal
from aftersales.proposals.tests.mail import samples

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome
# Dovecot's Maildir separates folders with "."; settings write "/".
DONE = "Aftersales.Processed"


def test_p4_every_kind_of_mail_is_taken_from_the_mailbox_and_moved(dovecot):
    customer = make_customer(email="old@example.cn")
    existing = make_proposal(customer=customer)
    ack = Message.objects.get(template="proposals/proposal_ack")
    mails = [
        samples.gbk_mail(),
        samples.big5_mail(),
        samples.html_only_mail(),
        samples.attachment_mail(),
        samples.inline_image_mail(),
        samples.auto_reply_mail(),
        samples.bounce_mail(ack.message_id, recipient="old@example.cn"),
        samples.reply_mail(sender="old@example.cn", subject=f"回复：{ack.subject}"),
        samples.malformed_mail(),
    ]
    # A malformed one first: it must not stop the rest.
    for raw in [mails[-1], *mails[:-1]]:
        dovecot.append(raw)
    assert dovecot.count("INBOX") == 9

    counts = imap_poll()

    assert counts == {
        "created": 5,
        "attached": 1,
        "duplicate": 0,
        "ignored": 2,
        "quarantined": 1,
        "failed": 0,
        "not_moved": 0,
    }
    assert dovecot.count("INBOX") == 0
    assert dovecot.count(DONE) == 9
    assert InboundMail.objects.filter(source=InboundMail.Source.IMAP).count() == 9
    titles = set(Proposal.objects.exclude(pk=existing.pk).values_list("title", flat=True))
    assert titles == {"关于退货流程的建议", "產品包裝建議", "夜间客服", "附件建议", "截图说明"}
    assert existing.events.filter(kind=ProposalEvent.Kind.MAIL).count() == 1
    assert Attachment.objects.filter(kind=Attachment.Kind.INLINE).count() == 1
    # Stored bytes are exactly what the server held.
    big5 = InboundMail.objects.get(subject="產品包裝建議")
    with big5.raw.open("rb") as fh:
        assert fh.read().replace(b"\r\n", b"\n") == mails[1].replace(b"\r\n", b"\n")


def test_p4_a_message_seen_again_is_a_duplicate_and_still_moved(dovecot):
    raw = samples.gbk_mail()
    dovecot.append(raw)
    assert imap_poll()["created"] == 1
    # Delivered a second time (a resend, or a copy put back by hand).
    dovecot.append(raw)
    counts = imap_poll()
    assert counts["duplicate"] == 1 and counts["created"] == 0
    assert dovecot.count("INBOX") == 0 and dovecot.count(DONE) == 2
    assert Proposal.objects.count() == 1


def test_p4_mail_that_cannot_be_stored_stays_in_the_mailbox_for_the_next_run(dovecot, media_in_tmp):
    for raw in (samples.gbk_mail(), samples.big5_mail()):
        dovecot.append(raw)
    # Nowhere to keep the raw mail: a file where its folder should be.
    media_in_tmp.mkdir(parents=True, exist_ok=True)
    (media_in_tmp / "mail").write_text("not a folder")

    counts = imap_poll()

    assert counts["failed"] == 2 and counts["created"] == 0
    assert dovecot.count("INBOX") == 2 and dovecot.count(DONE) == 0
    assert not InboundMail.objects.exists()

    (media_in_tmp / "mail").unlink()
    assert imap_poll()["created"] == 2
    assert dovecot.count("INBOX") == 0 and dovecot.count(DONE) == 2


def test_p4_the_mailbox_is_read_over_starttls_with_a_verified_certificate(dovecot_tls):
    dovecot_tls.append(samples.html_only_mail())
    assert imap_poll()["created"] == 1
    assert dovecot_tls.count("INBOX") == 0 and dovecot_tls.count(DONE) == 1


def test_p4_no_mailbox_configured_reads_nothing(settings):
    settings.INTAKE_IMAP_HOST = ""
    assert sum(imap_poll().values()) == 0


def test_p4_the_periodic_task_reads_the_configured_mailbox(dovecot, settings):
    from aftersales.proposals.tasks import proposals_imap_poll

    settings.INTAKE_IMAP_INTERVAL_MINUTES = 1
    dovecot.append(samples.gbk_mail())
    assert proposals_imap_poll.call_local()["created"] == 1
    assert dovecot.count(DONE) == 1

    settings.INTAKE_IMAP_HOST = ""
    assert proposals_imap_poll.call_local() is None


def test_p4_the_mailbox_is_read_over_implicit_tls(dovecot_tls, settings):
    settings.INTAKE_IMAP_SECURITY = "tls"
    settings.INTAKE_IMAP_PORT = dovecot_tls.tls_port
    dovecot_tls.append(samples.big5_mail())
    assert imap_poll()["created"] == 1
    assert dovecot_tls.count("INBOX") == 0 and dovecot_tls.count(DONE) == 1


def test_p4_an_untrusted_certificate_is_refused(dovecot_tls, monkeypatch):
    import ssl

    monkeypatch.delenv("SSL_CERT_FILE")
    dovecot_tls.append(samples.gbk_mail())
    with pytest.raises(ssl.SSLCertVerificationError):
        imap_poll()
    assert dovecot_tls.count("INBOX") == 1
    assert not InboundMail.objects.exists()
