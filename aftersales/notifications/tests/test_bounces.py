"""Bounces (RFC 3464 delivery status notifications) mark the notice failed, so
the outbox shows that the customer was not told."""

import io
from email.mime.text import MIMEText

import pytest
from django.core.management import call_command

from aftersales.notifications.bounces import parse_dsn
from aftersales.notifications.models import MessageEvent, Status
from aftersales.notifications.services import message_deliver, notify, outbox_record_bounce

# A bounce as Postfix writes it: notification, delivery report, and the
# headers (or the whole) of the message that could not be delivered.
POSTFIX_DSN = """\
Return-Path: <>
Received: by mx.example.test (Postfix)
\tid 4BX1Y2Z3; Mon,  3 Mar 2025 10:00:01 +0800 (CST)
Date: Mon,  3 Mar 2025 10:00:01 +0800 (CST)
From: MAILER-DAEMON@mx.example.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: aftersales@example.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4BX1Y2Z3.1741000001/mx.example.test"
Content-Transfer-Encoding: 8bit
Message-Id: <20250303020001.4BX1Y2Z3@mx.example.test>

This is a MIME-encapsulated message.

--4BX1Y2Z3.1741000001/mx.example.test
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<zhangsan@example.com>: host mail.example.com[203.0.113.7] said: 550 5.1.1
    <zhangsan@example.com>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--4BX1Y2Z3.1741000001/mx.example.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test
X-Postfix-Queue-ID: 4BX1Y2Z3
X-Postfix-Sender: rfc822; aftersales@example.test
Arrival-Date: Mon,  3 Mar 2025 10:00:00 +0800 (CST)

Final-Recipient: rfc822; zhangsan@example.com
Original-Recipient: rfc822;zhangsan@example.com
Action: {action}
Status: {status}
Remote-MTA: dns; mail.example.com
Diagnostic-Code: smtp; 550 5.1.1 <zhangsan@example.com>: Recipient address
    rejected: User unknown in virtual mailbox table

--4BX1Y2Z3.1741000001/mx.example.test
Content-Description: {original_description}
Content-Type: {original_type}

Received: from app.example.test (app.example.test [10.0.0.5])
\tby mx.example.test (Postfix) with ESMTP id 4BX1Y2Z3
\tfor <zhangsan@example.com>; Mon,  3 Mar 2025 10:00:00 +0800 (CST)
Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0
Content-Transfer-Encoding: 8bit
Subject: =?utf-8?b?5oKo55qE5o+Q5qGI5bey6KKr6YeH55So?=
From: =?utf-8?b?5ZSu5ZCO5pyN5Yqh6YOo?= <aftersales@example.test>
To: =?utf-8?b?5byg5LiJ?= <zhangsan@example.com>
Date: Mon, 03 Mar 2025 02:00:00 -0000
Message-ID: {message_id}
Auto-Submitted: auto-generated
{original_body}
--4BX1Y2Z3.1741000001/mx.example.test--
"""


def postfix_dsn(message_id: str, *, action="failed", status="5.1.1", original="headers") -> bytes:
    whole = original == "message"
    return POSTFIX_DSN.format(
        message_id=message_id,
        action=action,
        status=status,
        original_description="Undelivered Message" if whole else "Undelivered Message Headers",
        original_type="message/rfc822" if whole else "text/rfc822-headers",
        original_body="\n张三，您好：\n\n您的提案已被采用。\n" if whole else "",
    ).encode("utf-8")


@pytest.mark.mail_parsing
def test_parse_postfix_dsn_with_original_headers():
    bounce = parse_dsn(postfix_dsn("<abc123@mail.example.test>"))
    assert bounce.failed
    assert bounce.message_ids == ["<abc123@mail.example.test>"]
    assert bounce.status == "5.1.1"
    assert bounce.recipient == "zhangsan@example.com"
    assert "Recipient address rejected: User unknown in virtual mailbox table" in bounce.diagnostic
    assert bounce.summary().startswith("zhangsan@example.com: 5.1.1 smtp; 550 5.1.1")


@pytest.mark.mail_parsing
def test_parse_dsn_with_the_whole_original_message():
    bounce = parse_dsn(postfix_dsn("<whole@mail.example.test>", original="message"))
    assert bounce.failed
    assert bounce.message_ids == ["<whole@mail.example.test>"]


@pytest.mark.mail_parsing
def test_parse_dsn_falls_back_to_in_reply_to():
    raw = postfix_dsn("<x@y>").replace(b"Message-ID: <x@y>\n", b"")
    raw = raw.replace(
        b"Subject: Undelivered",
        b"In-Reply-To: <fallback@mail.example.test>\nSubject: Undelivered",
        1,
    )
    assert b"<x@y>" not in raw
    bounce = parse_dsn(raw)
    assert bounce.message_ids == ["<fallback@mail.example.test>"]


@pytest.mark.mail_parsing
def test_a_delay_report_is_not_a_failure():
    assert not parse_dsn(
        postfix_dsn("<d@mail.example.test>", action="delayed", status="4.4.1")
    ).failed


@pytest.mark.mail_parsing
def test_ordinary_mail_and_garbage_are_not_dsns():
    reply = MIMEText("谢谢通知！", "plain", "utf-8")
    reply["In-Reply-To"] = "<abc123@mail.example.test>"
    assert parse_dsn(reply.as_bytes()) is None
    assert parse_dsn(b"\x00\xff not mail at all") is None
    assert parse_dsn(b"") is None


@pytest.mark.django_db
def test_bounce_marks_the_delivered_notice_failed(chinese_customer, smtp_server):
    message = notify(
        template="generic",
        context={"subject": "您的提案已被采用", "body": "…"},
        customer=chinese_customer,
    )
    message_deliver(message_id=message.pk)
    [sent] = smtp_server.accepted
    # The DSN quotes the headers the relay actually received.
    raw = postfix_dsn(sent["Message-ID"])

    bounced = outbox_record_bounce(raw)

    assert bounced.pk == message.pk
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.bounced_at is not None
    assert "550 5.1.1" in message.last_error and "User unknown" in message.last_error
    event = MessageEvent.objects.filter(message=message).latest("id")
    assert (event.old_status, event.new_status) == ("sent", "failed")


@pytest.mark.django_db
def test_the_same_bounce_twice_changes_nothing_more(chinese_customer, smtp_server):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    message_deliver(message_id=message.pk)
    raw = postfix_dsn(message.message_id)
    outbox_record_bounce(raw)
    events = MessageEvent.objects.filter(message=message).count()
    assert outbox_record_bounce(raw).pk == message.pk
    assert MessageEvent.objects.filter(message=message).count() == events


@pytest.mark.django_db
def test_bounce_for_someone_elses_mail_is_ignored(chinese_customer):
    assert outbox_record_bounce(postfix_dsn("<unknown@elsewhere.example>")) is None


@pytest.mark.django_db
def test_delay_report_leaves_the_notice_as_it_was(chinese_customer, smtp_server):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    message_deliver(message_id=message.pk)
    assert (
        outbox_record_bounce(postfix_dsn(message.message_id, action="delayed", status="4.4.1"))
        is None
    )
    message.refresh_from_db()
    assert message.status == Status.SENT


@pytest.mark.django_db
def test_record_bounce_command_reads_standard_input(chinese_customer, smtp_server):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    message_deliver(message_id=message.pk)
    out = io.StringIO()

    call_command("record-bounce", stdin=io.BytesIO(postfix_dsn(message.message_id)), stdout=out)

    assert f"Message #{message.pk}" in out.getvalue()
    message.refresh_from_db()
    assert message.status == Status.FAILED


@pytest.mark.django_db
def test_record_bounce_command_says_when_nothing_matched(tmp_path):
    path = tmp_path / "dsn.eml"
    path.write_bytes(postfix_dsn("<unknown@elsewhere.example>"))
    out = io.StringIO()
    call_command("record-bounce", file=str(path), stdout=out)
    assert "nothing changed" in out.getvalue()
