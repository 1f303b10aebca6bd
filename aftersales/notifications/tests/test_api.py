"""The outbox API: list, one message, retry; errors in the standard shape."""

import pytest

from aftersales.core.testing import arrange_status
from aftersales.notifications.models import Message, Status
from aftersales.notifications.services import message_deliver, notify

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications"


def test_outsider_gets_403_in_the_error_shape(client_for, outsider, chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    c = client_for(outsider)
    for response in (
        c.get(f"{API}/"),
        c.get(f"{API}/{message.pk}"),
        c.post(f"{API}/{message.pk}/retry"),
    ):
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "forbidden"
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_anonymous_gets_401(client):
    response = client.get(f"{API}/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_list_filters_and_pages_by_cursor(client_for, cs_manager, make_customer):
    emails = [
        notify(
            template="test_message",
            context={},
            customer=make_customer(f"客户{i}", email=f"c{i}@example.com"),
        )
        for i in range(3)
    ]
    letter = notify(
        template="test_message", context={}, customer=make_customer("李四", postal_address="上海")
    )
    c = client_for(cs_manager)

    page = c.get(f"{API}/", {"limit": 2}).json()
    assert [m["id"] for m in page["items"]] == [letter.pk, emails[2].pk]
    assert page["next_cursor"]
    page2 = c.get(f"{API}/", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [m["id"] for m in page2["items"]] == [emails[1].pk, emails[0].pk]

    letters = c.get(f"{API}/", {"channel": "letter"}).json()["items"]
    assert [(m["id"], m["status"]) for m in letters] == [(letter.pk, "to_print")]
    queued = c.get(f"{API}/", {"status": "queued"}).json()["items"]
    assert {m["id"] for m in queued} == {m.pk for m in emails}


def test_get_one_with_attempts(client_for, cs_manager, chinese_customer, smtp_server):
    message = notify(
        template="generic",
        context={"subject": "主题", "body": "正文"},
        customer=chinese_customer,
        related=chinese_customer,
    )
    message_deliver(message_id=message.pk)
    data = client_for(cs_manager).get(f"{API}/{message.pk}").json()
    assert data["status"] == "sent"
    assert data["message_id"] == message.message_id
    assert data["subject"] == "\u2068主题\u2069"  # typed text isolated (issue 7)
    assert "正文" in data["body"]
    assert data["related"] == {"type": "customers.customer", "id": chinese_customer.pk}
    assert [a["outcome"] for a in data["delivery_attempts"]] == ["sent"]
    assert [e["new_status"] for e in data["events"]] == ["queued", "sending", "sent"]


def test_get_missing_is_404_in_the_error_shape(client_for, cs_manager):
    response = client_for(cs_manager).get(f"{API}/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_retry_a_failed_message(
    client_for, cs_manager, chinese_customer, django_capture_on_commit_callbacks
):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    arrange_status(
        Message.objects.filter(pk=message.pk),
        status=Status.FAILED,
        attempts=6,
        next_attempt_at=None,
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(cs_manager).post(f"{API}/{message.pk}/retry")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "queued"
    assert data["attempts"] == 6 and data["max_attempts"] == 12
    assert data["message_id"] == message.message_id
    assert len(callbacks) == 1


def test_retry_of_a_message_that_did_not_fail_is_a_409(client_for, cs_manager, chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    response = client_for(cs_manager).post(f"{API}/{message.pk}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_forbidden"


def test_retry_needs_the_retry_permission(client_for, quality_specialist, chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    c = client_for(quality_specialist)
    assert c.get(f"{API}/{message.pk}").status_code == 200
    response = c.post(f"{API}/{message.pk}/retry")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_mark_a_call_done(client_for, quality_specialist, make_customer):
    message = notify(
        template="test_message", context={}, customer=make_customer("王五", phone="13812345678")
    )
    response = client_for(quality_specialist).post(
        f"{API}/{message.pk}/done", {"note": "已告知"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "called"
    assert response.json()["handled_note"] == "已告知"


def test_list_query_count_is_fixed(
    client_for, cs_manager, make_customer, django_assert_max_num_queries
):
    def add(n, start):
        for i in range(start, start + n):
            notify(
                template="test_message",
                context={},
                customer=make_customer(f"客户{i}", email=f"c{i}@example.com"),
            )

    c = client_for(cs_manager)
    add(1, 0)
    # Session, user, profile and permissions (6), then one query for the page.
    with django_assert_max_num_queries(7):
        assert len(c.get(f"{API}/", {"limit": 30}).json()["items"]) == 1
    add(29, 1)
    with django_assert_max_num_queries(7):
        assert len(c.get(f"{API}/", {"limit": 30}).json()["items"]) == 30
