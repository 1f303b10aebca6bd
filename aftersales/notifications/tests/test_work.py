"""'My work': letters to print and calls to make, for those who handle them."""

import pytest
from django.urls import reverse

from aftersales.notifications.services import notify
from aftersales.notifications.work import offline_work

pytestmark = pytest.mark.django_db


def test_offline_handlers_see_letters_and_calls_in_my_work(client_for, cs_manager, make_customer):
    letter = notify(
        template="generic",
        context={"subject": "提案已采用", "body": "…"},
        customer=make_customer("李四", postal_address="上海"),
    )
    call = notify(
        template="generic",
        context={"subject": "提案已保留", "body": "…"},
        customer=make_customer("王五", phone="13812345678"),
    )
    page = client_for(cs_manager).get(reverse("core:my_work")).content.decode()
    assert letter.get_absolute_url() in page and call.get_absolute_url() in page
    assert "13812345678" in page
    assert reverse("notifications:offline") in page


def test_others_see_no_such_section(worker, make_customer):
    notify(
        template="test_message", context={}, customer=make_customer("李四", postal_address="上海")
    )
    assert offline_work(worker) is None


def test_nothing_waiting_means_no_section(cs_manager, chinese_customer):
    notify(template="test_message", context={}, customer=chinese_customer)
    assert offline_work(cs_manager) is None


def test_section_shows_the_oldest_ten_in_one_query(
    cs_manager, make_customer, django_assert_num_queries
):
    for i in range(15):
        notify(
            template="test_message",
            context={},
            customer=make_customer(f"客户{i}", postal_address=f"上海{i}号"),
        )
    offline_work(cs_manager)  # permissions cached on the user, as in a request
    with django_assert_num_queries(1):
        section = offline_work(cs_manager)
    assert len(section["items"]) == 10
    assert "客户0" in section["items"][0]["label"]
