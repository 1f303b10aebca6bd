"""P5: a duplicate is linked to the proposal it repeats and its customer is
told there, including the decision later made on it. P7 / P8 / P9: every
decision notice states, in both languages, what its article requires."""

from datetime import date

import pytest

from aftersales.core.errors import DomainError
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.rendering import render_message
from aftersales.proposals import services
from aftersales.proposals.models import CloseReason
from aftersales.proposals.tests.factories import (
    adopted,
    closed,
    fresh,
    make_proposal,
)

pytestmark = pytest.mark.django_db


def close_as_duplicate(proposal, original, *, by):
    return services.proposal_close(
        proposal=proposal,
        by=by,
        reason=CloseReason.DUPLICATE,
        duplicate_of=original,
        seen_version=fresh(proposal).version,
    )


def test_p5_the_duplicates_customer_is_told_the_decision_made_on_the_original(
    specialist, cs_manager, rd
):
    original = make_proposal()
    other_customer = make_customer(name="钱伟")
    duplicate = close_as_duplicate(make_proposal(customer=other_customer), original, by=specialist)

    adopted(original, by=specialist, decider=cs_manager, departments=[rd])

    told = other_customer.messages.filter(template="proposals/proposal_adopted").get()
    assert told.related_id == duplicate.pk
    assert duplicate.reference in told.subject
    assert original.reference in told.body
    assert "退货审批由三级改为一级" in told.body


def test_p5_a_customer_who_sent_both_hears_the_decision_once(specialist, cs_manager, rd):
    customer = make_customer(name="孙浩")
    original = make_proposal(customer=customer)
    close_as_duplicate(make_proposal(customer=customer), original, by=specialist)

    adopted(original, by=specialist, decider=cs_manager, departments=[rd])

    assert customer.messages.filter(template="proposals/proposal_adopted").count() == 1


def test_p5_a_proposal_closed_as_spam_cannot_be_the_original_of_a_duplicate(specialist):
    spam = closed(make_proposal(), by=specialist)
    proposal = make_proposal()

    with pytest.raises(DomainError) as refused:
        close_as_duplicate(proposal, spam, by=specialist)

    assert refused.value.code == "duplicate_of_closed"
    assert fresh(proposal).status == "received"


# What each decision notice must show, by its article; values typed by staff.
NOTICE_CONTENT = {
    "proposals/proposal_adopted": {
        "department": "技术部",
        "department_en": "Engineering",
        "planned_date": date(2027, 3, 15),
        "measures": "退货审批由三级改为一级。",
    },
    "proposals/proposal_not_adopted": {"note": "成本过高，暂不具备条件。"},
    "proposals/proposal_reserved": {"reason": "需评估周末排班。", "decide_by": date(2027, 2, 1)},
    "proposals/proposal_reserve_extended": {
        "reason": "供应商尚未报价。",
        "decide_by": date(2027, 4, 1),
    },
    "proposals/proposal_implemented": {
        "measures": "所有上门人员佩戴工牌。",
        "done_date": date(2027, 5, 20),
    },
}
DATES = {"zh-hans": "{d.year}年{d.month}月{d.day}日", "en": "{d.day} "}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("template", sorted(NOTICE_CONTENT))
def test_p7_p8_p9_each_decision_notice_states_what_its_article_requires(template, language):
    assert set(services.REQUIRED_NOTICE_CONTENT[template]) <= set(NOTICE_CONTENT[template])
    context = {
        "recipient_name": "赵丽华",
        "reference": "P-2026-000123",
        "title": "建议",
        "portal_url": "https://example.test/portal/p/x/",
        **NOTICE_CONTENT[template],
    }

    _subject, body = render_message(template, language, context)

    for key in services.REQUIRED_NOTICE_CONTENT[template]:
        value = context[key]
        if key == "department" and language == "en":
            value = context["department_en"]
        if isinstance(value, date):
            shown = DATES[language].format(d=value)
            assert shown in body and str(value.year) in body, (key, body)
        else:
            assert str(value) in body, (key, body)
    assert "P-2026-000123" in body
