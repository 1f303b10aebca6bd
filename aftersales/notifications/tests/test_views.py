"""The outbox pages: who may see them, what they show, a fixed query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.roles import Role
from aftersales.core.testing import arrange_status
from aftersales.notifications.models import Message, MessageEvent, Status
from aftersales.notifications.services import message_deliver, notify

pytestmark = pytest.mark.django_db

NOTICE = {
    "subject": "您的提案已被保留",
    "body": "保留原因：需要进一步研究。预计决定日期：2025年5月1日。",
}


@pytest.fixture
def specialist(make_staff):
    """Sees the outbox and handles letters and calls, but may not retry."""
    return make_staff("specialist", Role.AFTERSALES_SPECIALIST)


def test_outsider_cannot_see_the_outbox(client_for, outsider, chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    c = client_for(outsider)
    assert c.get(reverse("notifications:outbox")).status_code == 403
    assert c.get(reverse("notifications:detail", args=[message.pk])).status_code == 403
    assert c.get(reverse("notifications:offline")).status_code == 403
    assert c.post(reverse("notifications:retry", args=[message.pk])).status_code == 403


def test_outbox_needs_sign_in(client):
    response = client.get(reverse("notifications:outbox"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_outbox_lists_messages_and_filters_by_status_and_channel(
    client_for, cs_manager, make_customer
):
    email = notify(
        template="generic", context=NOTICE, customer=make_customer("张三", email="z@example.com")
    )
    letter = notify(
        template="generic", context=NOTICE, customer=make_customer("李四", postal_address="上海")
    )
    c = client_for(cs_manager)

    page = c.get(reverse("notifications:outbox")).content.decode()
    assert "张三" in page and "李四" in page

    page = c.get(reverse("notifications:outbox"), {"channel": "letter"}).content.decode()
    assert "李四" in page and "张三" not in page
    assert f'href="/outbox/{letter.pk}/"' in page

    page = c.get(reverse("notifications:outbox"), {"status": "queued"}).content.decode()
    assert "张三" in page and "李四" not in page
    assert f'href="/outbox/{email.pk}/"' in page


def test_outbox_rows_fragment_for_htmx(client_for, cs_manager, chinese_customer):
    notify(template="test_message", context={}, customer=chinese_customer)
    response = client_for(cs_manager).get(reverse("notifications:outbox"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table>" in body and "<html" not in body


def test_outbox_pages_by_keyset(client_for, cs_manager, chinese_customer):
    messages = [
        notify(template="test_message", context={}, customer=chinese_customer) for _ in range(27)
    ]
    c = client_for(cs_manager)
    first = c.get(reverse("notifications:outbox"))
    next_before = first.context["next_before"]
    assert len(first.context["rows"]) == 25
    assert next_before == messages[2].pk
    second = c.get(reverse("notifications:outbox"), {"before": next_before})
    assert [m.pk for m in second.context["rows"]] == [messages[1].pk, messages[0].pk]
    assert second.context["next_before"] is None


@pytest.fixture
def add_messages(make_customer, make_staff):
    """add_messages(n): a mix of email, letters, calls, colleagues and linked records."""
    colleague = make_staff("colleague", email="colleague@example.com")
    count = {"n": 0}

    def add(n):
        for _ in range(n):
            i = count["n"] = count["n"] + 1
            kind = i % 4
            if kind == 0:
                customer = make_customer(f"客户{i}", email=f"c{i}@example.com")
                notify(template="generic", context=NOTICE, customer=customer, related=customer)
            elif kind == 1:
                notify(
                    template="generic",
                    context=NOTICE,
                    customer=make_customer(f"客户{i}", postal_address=f"上海{i}号"),
                )
            elif kind == 2:
                notify(
                    template="generic",
                    context=NOTICE,
                    customer=make_customer(f"客户{i}", phone=f"1381234{i:04d}"),
                )
            else:
                notify(template="test_message", context={}, user=colleague)

    return add


def test_outbox_query_count_does_not_grow_with_rows(
    client_for, cs_manager, add_messages, django_assert_max_num_queries
):
    c = client_for(cs_manager)
    url = reverse("notifications:outbox")
    add_messages(1)
    c.get(url)  # warm the session and permission caches alike for both counts
    with CaptureQueriesContext(connection) as one:
        assert c.get(url).status_code == 200
    add_messages(29)
    arrange_status(
        Message.objects.filter(pk__in=Message.objects.order_by("pk").values("pk")[:5]),
        status=Status.FAILED,
        last_error="550 5.1.1 User unknown",
    )
    with CaptureQueriesContext(connection) as thirty:
        response = c.get(url)
    assert len(response.context["rows"]) == 25
    assert len(thirty) == len(one), [q["sql"] for q in thirty.captured_queries]
    # And by the stated budget, counted inside the block.
    with django_assert_max_num_queries(len(one)):
        c.get(url, {"before": response.context["next_before"]})


def test_outbox_with_thirty_messages_stays_within_budget(
    client_for, cs_manager, add_messages, django_assert_max_num_queries
):
    add_messages(30)
    c = client_for(cs_manager)
    with django_assert_max_num_queries(8):
        assert c.get(reverse("notifications:outbox")).status_code == 200


def test_detail_shows_attempts_and_message_id(
    client_for, cs_manager, chinese_customer, smtp_server
):
    smtp_server.refuse = ["451 4.3.0 Try again later"]
    message = notify(template="generic", context=NOTICE, customer=chinese_customer)
    message_deliver(message_id=message.pk)
    page = (
        client_for(cs_manager)
        .get(reverse("notifications:detail", args=[message.pk]))
        .content.decode()
    )
    assert message.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "451 4.3.0 Try again later" in page
    assert "保留原因：需要进一步研究" in page


def test_retry_button_requeues_a_failed_message_with_the_same_message_id(
    client_for, cs_manager, chinese_customer, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.refuse = ["552 5.2.2 Mailbox full"]
    message = notify(template="generic", context=NOTICE, customer=chinese_customer)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    c = client_for(cs_manager)
    assert (
        reverse("notifications:retry", args=[message.pk])
        in c.get(message.get_absolute_url()).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("notifications:retry", args=[message.pk]))

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert message.max_attempts == 1 + 6
    assert [mail["Message-ID"] for _r, mail, _reply in smtp_server.seen] == [message.message_id] * 2
    retried = MessageEvent.objects.get(message=message, old_status="failed", new_status="queued")
    assert retried.by == cs_manager


def test_retry_needs_the_retry_permission(client_for, specialist, chinese_customer):
    message = notify(template="test_message", context={}, user=specialist)
    arrange_status(Message.objects.filter(pk=message.pk), status=Status.FAILED)
    c = client_for(specialist)
    assert c.get(reverse("notifications:outbox")).status_code == 200
    assert c.post(reverse("notifications:retry", args=[message.pk])).status_code == 403
    assert c.get(reverse("notifications:retry", args=[message.pk])).status_code == 403


def test_retry_only_on_failed(client_for, cs_manager, chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    response = client_for(cs_manager).post(
        reverse("notifications:retry", args=[message.pk]), follow=True
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert MessageEvent.objects.filter(message=message).count() == 1


def test_staff_print_a_letter_and_record_it(client_for, specialist, make_customer):
    customer = make_customer("李四", postal_address="上海市浦东新区世纪大道100号\n200120")
    message = notify(template="generic", context=NOTICE, customer=customer)
    c = client_for(specialist)

    page = c.get(reverse("notifications:letter", args=[message.pk])).content.decode()
    assert "上海市浦东新区世纪大道100号<br>200120" in page
    assert "保留原因：需要进一步研究" in page
    assert "notifications/print.css" in page

    response = c.post(reverse("notifications:done", args=[message.pk]), {"note": "平信寄出"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Status.PRINTED
    assert message.handled_by == specialist
    assert message.handled_at is not None
    assert message.handled_note == "平信寄出"
    event = MessageEvent.objects.filter(message=message).latest("id")
    assert (event.new_status, event.by, event.note) == ("printed", specialist, "平信寄出")


def test_staff_make_a_call_and_record_it(client_for, specialist, make_customer):
    message = notify(
        template="generic", context=NOTICE, customer=make_customer("王五", phone="13812345678")
    )
    c = client_for(specialist)

    page = c.get(reverse("notifications:offline")).content.decode()
    assert "13812345678" in page and "保留原因：需要进一步研究" in page

    response = c.post(
        reverse("notifications:done", args=[message.pk]),
        {"note": "本人接听，已告知", "next": "offline"},
    )
    assert response["Location"] == reverse("notifications:offline")
    message.refresh_from_db()
    assert (message.status, message.handled_by, message.handled_note) == (
        Status.CALLED,
        specialist,
        "本人接听，已告知",
    )
    assert "13812345678" not in c.get(reverse("notifications:offline")).content.decode()


def test_marking_done_twice_is_refused(client_for, specialist, make_customer):
    message = notify(
        template="generic", context=NOTICE, customer=make_customer("王五", phone="13812345678")
    )
    c = client_for(specialist)
    c.post(reverse("notifications:done", args=[message.pk]), {"note": "第一次"})
    c.post(reverse("notifications:done", args=[message.pk]), {"note": "第二次"})
    message.refresh_from_db()
    assert message.handled_note == "第一次"


def test_email_cannot_be_marked_printed(client_for, specialist, chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    client_for(specialist).post(reverse("notifications:done", args=[message.pk]), {"note": "x"})
    message.refresh_from_db()
    assert message.status == Status.QUEUED


def test_worker_without_outbox_role_cannot_handle_letters(client_for, worker, make_customer):
    message = notify(
        template="generic", context=NOTICE, customer=make_customer("李四", postal_address="上海")
    )
    c = client_for(worker)
    assert c.get(reverse("notifications:letter", args=[message.pk])).status_code == 403
    assert c.post(reverse("notifications:done", args=[message.pk])).status_code == 403


def test_manager_cancels_a_letter_with_a_reason(client_for, cs_manager, make_customer):
    message = notify(
        template="generic", context=NOTICE, customer=make_customer("李四", postal_address="上海")
    )
    c = client_for(cs_manager)
    c.post(reverse("notifications:cancel", args=[message.pk]), {"reason": ""})
    message.refresh_from_db()
    assert message.status == Status.TO_PRINT
    c.post(reverse("notifications:cancel", args=[message.pk]), {"reason": "客户已当面告知"})
    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert message.handled_note == "客户已当面告知"


def test_pages_render_in_both_languages(client_for, cs_manager, make_customer):
    letter = notify(
        template="generic", context=NOTICE, customer=make_customer("李四", postal_address="上海")
    )
    c = client_for(cs_manager)
    for language in ("zh-hans", "en"):
        c.cookies["django_language"] = language
        for url in (
            reverse("notifications:outbox"),
            reverse("notifications:offline"),
            reverse("notifications:detail", args=[letter.pk]),
            reverse("notifications:letter", args=[letter.pk]),
        ):
            response = c.get(url)
            assert response.status_code == 200, url
            assert "P7" in response.content.decode()
