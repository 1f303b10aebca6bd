"""notify(): one row per message, in the recipient's language, on the channel
they can be reached by, written in the caller's transaction."""

import re

import pytest
from django.db import transaction

from aftersales.core.bidi import isolate
from aftersales.core.errors import DomainError
from aftersales.customers.services import customer_anonymise
from aftersales.notifications.models import Channel, Message, MessageEvent, Status
from aftersales.notifications.services import notify

pytestmark = pytest.mark.django_db

GENERIC = {
    "subject": "您的提案已被采用",
    "body": "实施时间：2025年3月1日。改进措施：增加周末服务。",
}


def test_customer_with_email_gets_a_queued_email_in_their_language(chinese_customer, cs_manager):
    message = notify(template="generic", context=GENERIC, customer=chinese_customer, by=cs_manager)

    assert message.channel == Channel.EMAIL
    assert message.status == Status.QUEUED
    assert message.address == "zhangsan@example.com"
    assert message.language == "zh-hans"
    assert message.subject == isolate("您的提案已被采用")
    assert message.body.startswith(isolate("张三") + "，您好：")
    assert "增加周末服务" in message.body
    assert message.attempts == 0 and message.max_attempts == 6
    assert message.created_by == cs_manager
    assert message.next_attempt_at is not None


def test_english_customer_gets_the_english_template(english_customer):
    message = notify(template="test_message", context={}, customer=english_customer)
    assert message.language == "en"
    assert message.subject == "Test message from After-sales service department"
    assert message.body.startswith(f"Dear {isolate('Jane Smith')},")


def test_message_id_is_fixed_at_creation_on_the_mail_domain(chinese_customer):
    first = notify(template="test_message", context={}, customer=chinese_customer)
    second = notify(template="test_message", context={}, customer=chinese_customer)
    assert re.fullmatch(r"<[0-9a-f]{32}@mail\.example\.test>", first.message_id)
    assert first.message_id != second.message_id
    first.refresh_from_db()
    assert first.message_id == Message.objects.get(pk=first.pk).message_id


def test_customer_with_only_a_postal_address_gets_a_letter_to_print(make_customer):
    customer = make_customer("李四", postal_address="上海市浦东新区世纪大道100号\n200120")
    message = notify(template="generic", context=GENERIC, customer=customer)
    assert message.channel == Channel.LETTER
    assert message.status == Status.TO_PRINT
    assert message.address.startswith("上海市浦东新区")
    assert message.next_attempt_at is None


def test_customer_with_only_a_phone_gets_a_call_task(make_customer):
    customer = make_customer("王五", phone="13812345678")
    message = notify(template="generic", context=GENERIC, customer=customer)
    assert message.channel == Channel.CALL
    assert message.status == Status.TO_CALL
    assert message.address == "13812345678"


def test_email_is_preferred_to_letter_and_letter_to_call(make_customer):
    both = make_customer("赵六", phone="13912345678", postal_address="北京市朝阳区")
    assert notify(template="generic", context=GENERIC, customer=both).channel == Channel.LETTER
    all_three = make_customer(
        "钱七", email="qian@example.com", phone="13712345678", postal_address="杭州"
    )
    assert notify(template="generic", context=GENERIC, customer=all_three).channel == Channel.EMAIL


def test_anonymised_customer_is_not_written_to_and_it_shows(chinese_customer, cs_manager):
    customer_anonymise(customer=chinese_customer, by=cs_manager, reason="客户书面申请")
    message = notify(template="generic", context=GENERIC, customer=chinese_customer)
    assert message.status == Status.FAILED
    assert message.address == ""
    assert message.last_error


def test_colleague_is_written_to_in_their_profile_language(make_staff):
    colleague = make_staff("colleague", language="en", email="colleague@example.com")
    message = notify(template="test_message", context={}, user=colleague)
    assert message.channel == Channel.EMAIL
    assert message.language == "en"
    assert message.address == "colleague@example.com"
    assert message.recipient_name == "Colleague"


def test_colleague_without_email_gets_a_failed_row_not_silence(make_staff):
    colleague = make_staff("noemail")
    message = notify(template="test_message", context={}, user=colleague)
    assert message.status == Status.FAILED
    assert message.language == "zh-hans"


def test_related_record_is_linked(chinese_customer):
    # Any model row will do; later issues link proposals.
    message = notify(
        template="test_message", context={}, customer=chinese_customer, related=chinese_customer
    )
    assert message.related == chinese_customer
    assert message.related_type.model == "customer"


def test_reply_is_marked_auto_replied(chinese_customer):
    message = notify(
        template="test_message",
        context={},
        customer=chinese_customer,
        in_reply_to="<abc@customer.example>",
    )
    assert message.auto_submitted == "auto-replied"
    assert message.in_reply_to == "<abc@customer.example>"


def test_creation_is_logged_as_an_event(chinese_customer, cs_manager):
    message = notify(template="test_message", context={}, customer=chinese_customer, by=cs_manager)
    event = MessageEvent.objects.get(message=message)
    assert (event.old_status, event.new_status, event.by) == ("", Status.QUEUED, cs_manager)


def test_exactly_one_recipient_is_needed(chinese_customer, cs_manager):
    with pytest.raises(DomainError):
        notify(template="test_message", context={}, customer=chinese_customer, user=cs_manager)
    with pytest.raises(DomainError):
        notify(template="test_message", context={})


def test_unknown_template_refuses_and_writes_nothing(chinese_customer):
    with pytest.raises(DomainError):
        notify(template="nope", context={}, customer=chinese_customer)
    assert Message.objects.count() == 0


def test_messages_are_kept(chinese_customer):
    message = notify(template="test_message", context={}, customer=chinese_customer)
    with pytest.raises(DomainError):
        message.delete()
    with pytest.raises(DomainError):
        Message.objects.all().delete()


def test_rolled_back_write_leaves_no_message_and_queues_nothing(
    chinese_customer, smtp_server, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(template="generic", context=GENERIC, customer=chinese_customer)
        raise RuntimeError("the decision failed")
    assert callbacks == []
    assert Message.objects.count() == 0
    assert smtp_server.seen == []


def test_committed_write_is_delivered_after_commit(
    chinese_customer, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = notify(template="generic", context=GENERIC, customer=chinese_customer)
        # Nothing leaves before the transaction commits.
        assert smtp_server.seen == []
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp_server.accepted) == 1


def test_a_message_with_no_address_cannot_be_retried(make_staff, cs_manager):
    from aftersales.notifications.services import message_retry

    message = notify(template="test_message", context={}, user=make_staff("noemail"))
    assert not message.can_retry
    with pytest.raises(DomainError) as exc:
        message_retry(message=message, by=cs_manager)
    assert exc.value.code == "no_address"
