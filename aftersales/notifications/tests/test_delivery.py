"""Delivery over a real SMTP server on loopback: the fixed Message-ID, UTF-8
intact, back-off, crashes, permanent failure."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.core.bidi import isolate
from aftersales.notifications import services
from aftersales.notifications.models import DeliveryAttempt, Message, MessageEvent, Status
from aftersales.notifications.services import message_deliver, notify, outbox_deliver_due
from aftersales.notifications.tasks import deliver_message, outbox_sweep

pytestmark = pytest.mark.django_db

# P7: the adoption notice states the implementation time and the measures.
ADOPTED = {
    "subject": "您的提案已被采用——感谢您的建议",
    "body": "实施时间：2025年3月1日起。\n改进措施：周末增设售后热线。",
}


class Crash(BaseException):
    """A worker dying: not an Exception, so nothing in the service catches it."""


def later(**kwargs):
    return timezone.now() + timedelta(**kwargs)


def test_notice_arrives_with_its_message_id_and_chinese_intact(chinese_customer, smtp_server):
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)

    deliver_message.call_local(message.pk)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    [(rcpt, mail, _reply)] = smtp_server.seen
    assert rcpt == ["zhangsan@example.com"]
    assert mail["Message-ID"] == message.message_id
    assert mail["Subject"] == isolate("您的提案已被采用——感谢您的建议")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["To"].addresses[0].display_name == "张三"
    body = mail.get_content()
    assert isolate("张三") + "，您好：" in body
    assert "实施时间：2025年3月1日起。" in body and "周末增设售后热线" in body
    attempt = DeliveryAttempt.objects.get(message=message)
    assert attempt.outcome == DeliveryAttempt.Outcome.SENT
    assert attempt.smtp_response.startswith("250 2.0.0 Ok: queued as")
    assert attempt.finished_at >= attempt.started_at


def test_english_customer_gets_english_mail(english_customer, smtp_server):
    message = notify(template="test_message", context={}, customer=english_customer)
    message_deliver(message_id=message.pk)
    [mail] = smtp_server.accepted
    assert mail["Subject"] == "Test message from After-sales service department"
    assert mail.get_content().startswith(f"Dear {isolate('Jane Smith')},")


def test_reply_carries_in_reply_to_and_auto_replied(chinese_customer, smtp_server):
    message = notify(
        template="test_message",
        context={},
        customer=chinese_customer,
        in_reply_to="<q1@customer.example>",
    )
    message_deliver(message_id=message.pk)
    [mail] = smtp_server.accepted
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<q1@customer.example>"


def test_refusal_for_now_is_retried_after_back_off_under_the_same_message_id(
    chinese_customer, smtp_server
):
    smtp_server.refuse = ["451 4.3.0 Try again later"]
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)

    message = message_deliver(message_id=message.pk)

    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert "451" in message.last_error
    first = DeliveryAttempt.objects.get(message=message, number=1)
    assert first.outcome == DeliveryAttempt.Outcome.DEFERRED
    # First back-off: one minute.
    assert message.next_attempt_at == first.finished_at + timedelta(seconds=60)
    # The sweep leaves it alone until then...
    assert outbox_deliver_due(now=later(seconds=30)) == 0
    # ...and sends it after.
    assert outbox_deliver_due(now=later(seconds=61)) == 1

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert message.last_error == ""
    assert [a.outcome for a in message.delivery_attempts.order_by("number")] == ["deferred", "sent"]
    ids = {mail["Message-ID"] for _rcpt, mail, _reply in smtp_server.seen}
    assert len(smtp_server.seen) == 2
    assert ids == {message.message_id}


def test_back_off_grows_and_is_capped(settings):
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 3600
    waits = [services.backoff(n).total_seconds() for n in range(1, 7)]
    assert waits == [60, 300, 1500, 3600, 3600, 3600]


def test_unreachable_server_is_retried_then_failed_after_max_attempts(
    chinese_customer, no_smtp_server, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)

    message_deliver(message_id=message.pk)
    outbox_deliver_due(now=later(minutes=2))
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 2)
    # Second back-off: five minutes.
    assert outbox_deliver_due(now=later(minutes=3)) == 0
    assert outbox_deliver_due(now=later(minutes=6)) == 1

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert message.next_attempt_at is None
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert [a.outcome for a in message.delivery_attempts.order_by("number")] == [
        "deferred",
        "deferred",
        "failed",
    ]
    # A failed message is not picked up again.
    assert outbox_deliver_due(now=later(days=2)) == 0


def test_permanent_refusal_fails_at_once(chinese_customer, smtp_server):
    smtp_server.refuse_rcpt = [
        "550 5.1.1 <zhangsan@example.com>: Recipient address rejected: User unknown"
    ]
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)

    message = message_deliver(message_id=message.pk)

    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "550 5.1.1" in message.last_error
    assert outbox_deliver_due(now=later(days=1)) == 0


def test_permanent_refusal_of_the_data_fails_at_once(chinese_customer, smtp_server):
    smtp_server.refuse = ["554 5.7.1 Message rejected as spam"]
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    message = message_deliver(message_id=message.pk)
    assert message.status == Status.FAILED
    assert "554 5.7.1" in message.last_error


def test_a_crash_after_the_server_accepted_costs_at_most_one_resend(
    chinese_customer, smtp_server, monkeypatch
):
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    real_send = services.smtp.send

    def send_then_die(msg):
        real_send(msg)
        raise Crash

    monkeypatch.setattr(services.smtp, "send", send_then_die)
    with pytest.raises(Crash):
        message_deliver(message_id=message.pk)
    monkeypatch.undo()

    message.refresh_from_db()
    assert message.status == Status.SENDING
    assert DeliveryAttempt.objects.get(message=message).outcome == DeliveryAttempt.Outcome.PENDING
    # Within the lease nobody touches it: the worker might still be sending.
    assert outbox_deliver_due(now=later(minutes=2)) == 0
    # After it, one more attempt, same Message-ID.
    assert outbox_deliver_due(now=later(minutes=6)) == 1
    assert outbox_deliver_due(now=later(minutes=30)) == 0
    outbox_sweep.call_local()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert [a.outcome for a in message.delivery_attempts.order_by("number")] == [
        "interrupted",
        "sent",
    ]
    assert len(smtp_server.accepted) == 2
    assert {mail["Message-ID"] for mail in smtp_server.accepted} == {message.message_id}


def test_a_crash_before_the_server_heard_of_it_is_sent_once(
    chinese_customer, smtp_server, monkeypatch
):
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)

    def die(msg):
        raise Crash

    monkeypatch.setattr(services.smtp, "send", die)
    with pytest.raises(Crash):
        message_deliver(message_id=message.pk)
    monkeypatch.undo()

    outbox_deliver_due(now=later(minutes=6))
    outbox_deliver_due(now=later(minutes=20))

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp_server.accepted) == 1


def test_an_interrupted_last_attempt_is_failed_not_repeated(
    chinese_customer, smtp_server, monkeypatch, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    monkeypatch.setattr(services.smtp, "send", lambda msg: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        message_deliver(message_id=message.pk)
    monkeypatch.undo()

    outbox_deliver_due(now=later(minutes=6))

    message.refresh_from_db()
    assert message.status == Status.FAILED
    # Written by the worker in the installation's language; the same text either way.
    assert message.last_error == gettext(
        "The last attempt was interrupted; the message may or may not have arrived."
    )
    assert (
        DeliveryAttempt.objects.get(message=message).outcome == DeliveryAttempt.Outcome.INTERRUPTED
    )
    assert smtp_server.seen == []


def test_delivering_twice_sends_once(chinese_customer, smtp_server):
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    assert message_deliver(message_id=message.pk) is not None
    assert message_deliver(message_id=message.pk) is None
    deliver_message.call_local(message.pk)
    assert len(smtp_server.seen) == 1
    assert DeliveryAttempt.objects.filter(message=message).count() == 1


def test_letters_and_calls_are_never_emailed(make_customer, smtp_server):
    letter = notify(
        template="test_message", context={}, customer=make_customer("李四", postal_address="上海")
    )
    call = notify(
        template="test_message", context={}, customer=make_customer("王五", phone="13812345678")
    )
    assert message_deliver(message_id=letter.pk) is None
    assert message_deliver(message_id=call.pk) is None
    assert outbox_deliver_due(now=later(days=1)) == 0
    assert smtp_server.seen == []


def test_every_status_change_is_an_event(chinese_customer, smtp_server):
    smtp_server.refuse = ["451 4.3.0 Try again later"]
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    message_deliver(message_id=message.pk)
    outbox_deliver_due(now=later(minutes=2))
    moves = list(
        MessageEvent.objects.filter(message=message)
        .order_by("id")
        .values_list("old_status", "new_status")
    )
    assert moves == [
        ("", "queued"),
        ("queued", "sending"),
        ("sending", "queued"),
        ("queued", "sending"),
        ("sending", "sent"),
    ]


@pytest.fixture
def queue_nothing(monkeypatch):
    """notify() commits at once outside a test transaction; keep its on-commit
    queueing from delivering before the test does."""
    monkeypatch.setattr(services, "_enqueue", lambda message_id: None)


@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_before_the_server_is_contacted(
    chinese_customer, smtp_server, monkeypatch, queue_nothing
):
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    seen = {}
    real_send = services.smtp.send

    def send(msg):
        seen["in_transaction"] = connection.in_atomic_block
        seen["status"] = Message.objects.get(pk=msg.pk).status
        seen["attempts"] = list(
            DeliveryAttempt.objects.filter(message_id=msg.pk).values_list("outcome", flat=True)
        )
        return real_send(msg)

    monkeypatch.setattr(services.smtp, "send", send)
    message_deliver(message_id=message.pk)

    assert seen == {"in_transaction": False, "status": Status.SENDING, "attempts": ["pending"]}


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_copy(chinese_customer, smtp_server, queue_nothing):
    message = notify(template="generic", context=ADOPTED, customer=chinese_customer)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(message_deliver(message_id=message.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert sorted(r is None for r in results) == [False, True]
    assert len(smtp_server.seen) == 1
    assert Message.objects.get(pk=message.pk).status == Status.SENT
