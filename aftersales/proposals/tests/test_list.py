"""The staff proposal list (issue 3, "Seeing and finding"): filters by
status, channel, department, date range, overdue and customer; sorting;
keyset pagination; the page, its htmx rows and its query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales.core.errors import DomainError
from aftersales.core.roles import Role
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import selectors
from aftersales.proposals.models import Channel, Proposal, Status, StudyRequest
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    fresh,
    make_department,
    make_proposal,
    reserved,
    studied,
    under_study,
)

pytestmark = pytest.mark.django_db


def ids(user, **filters) -> list[int]:
    rows, _ = selectors.proposal_list(user=user, filters=filters, limit=100)
    return [row.pk for row in rows]


def every_page(user, *, limit, **filters) -> tuple[list[int], int]:
    shown, cursor, pages = [], None, 0
    while True:
        rows, cursor = selectors.proposal_list(
            user=user, filters=filters, cursor=cursor, limit=limit
        )
        shown += [row.pk for row in rows]
        pages += 1
        if cursor is None:
            return shown, pages


def received(**fields) -> Proposal:
    return make_proposal(acknowledge=False, **fields)


# --- filters -----------------------------------------------------------------


def test_filter_by_status_and_channel(cs_manager):
    web = received()
    letter = received(channel=Channel.LETTER, by=cs_manager)
    accepted_web = accepted(received(), by=cs_manager)

    assert ids(cs_manager, status=Status.RECEIVED) == [letter.pk, web.pk]
    assert ids(cs_manager, status=Status.ACCEPTED) == [accepted_web.pk]
    assert ids(cs_manager, channel=Channel.LETTER) == [letter.pk]
    assert ids(cs_manager, channel=Channel.WEB, status=Status.RECEIVED) == [web.pk]


def test_p5_p7_filter_by_department_finds_studied_and_implemented_proposals(
    cs_manager, aftersales_manager, make_staff
):
    quality = make_department(manager=aftersales_manager)
    other = make_department(manager=make_staff("other_manager", Role.DEPARTMENT_MANAGER))
    routed = under_study(received(), by=cs_manager, departments=[quality])
    routed_elsewhere = under_study(received(), by=cs_manager, departments=[other])
    implementing = adopted(
        received(), by=cs_manager, decider=cs_manager, departments=[other, quality]
    )
    received()

    assert ids(cs_manager, department=quality.pk) == [implementing.pk, routed.pk]
    assert ids(cs_manager, department=other.pk) == [implementing.pk, routed_elsewhere.pk]


def test_filter_by_date_received_includes_both_ends(cs_manager):
    today = timezone.localdate()
    now = timezone.now()
    old = received(received_at=now - timedelta(days=10))
    middle = received(received_at=now - timedelta(days=5))
    new = received(received_at=now)

    window = {"received_from": today - timedelta(days=5), "received_to": today}
    assert ids(cs_manager, **window) == [new.pk, middle.pk]
    assert ids(cs_manager, received_to=today - timedelta(days=5)) == [middle.pk, old.pk]
    assert ids(cs_manager, received_from=(today - timedelta(days=10)).isoformat()) == [
        new.pk,
        middle.pk,
        old.pk,
    ]


def test_p5_p9_overdue_means_a_study_past_due_or_a_reserve_past_decide_by(
    cs_manager, aftersales_manager
):
    dept = make_department(manager=aftersales_manager)
    yesterday = timezone.localdate() - timedelta(days=1)
    late_study = under_study(received(), by=cs_manager, departments=[dept])
    StudyRequest.objects.filter(proposal=late_study).update(due_date=yesterday)
    on_time_study = under_study(received(), by=cs_manager, departments=[dept])
    late_reserve = reserved(
        received(),
        by=cs_manager,
        decider=cs_manager,
        departments=[dept],
        decide_by=timezone.localdate() + timedelta(days=10),
    )
    Proposal.objects.filter(pk=late_reserve.pk).update(decide_by=yesterday)
    reserved(
        received(),
        by=cs_manager,
        decider=cs_manager,
        departments=[dept],
        decide_by=timezone.localdate() + timedelta(days=10),
    )
    # A late study that has its opinion is not waiting on anyone.
    answered = studied(received(), by=cs_manager, departments=[dept])
    StudyRequest.objects.filter(proposal=answered).update(due_date=yesterday)

    assert ids(cs_manager, overdue=True) == [late_reserve.pk, late_study.pk]
    assert on_time_study.pk in ids(cs_manager)


def test_filter_by_customer(cs_manager):
    alice, bob = make_customer(), make_customer()
    mine = [received(customer=alice).pk for _ in range(2)]
    received(customer=bob)

    assert ids(cs_manager, customer=alice.pk) == mine[::-1]


def test_an_unknown_status_or_a_garbled_cursor_is_refused_with_a_message(cs_manager):
    with pytest.raises(DomainError) as bad_status:
        selectors.proposal_list(user=cs_manager, filters={"status": "lost"})
    with pytest.raises(DomainError) as bad_cursor:
        selectors.proposal_list(user=cs_manager, filters={}, cursor="abc")
    assert (bad_status.value.code, bad_cursor.value.code) == ("invalid_filter", "invalid_cursor")


def test_an_outsider_cannot_list_proposals(outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        selectors.proposal_list(user=outsider, filters={})


# --- sorting and keyset pagination -------------------------------------------


def test_newest_and_oldest_pages_show_every_proposal_once(cs_manager):
    made = [received().pk for _ in range(7)]

    newest, pages = every_page(cs_manager, limit=3)
    oldest, _ = every_page(cs_manager, limit=3, sort="oldest")

    assert newest == made[::-1]
    assert pages == 3
    assert oldest == made


def test_a_search_pages_through_every_hit_once(cs_manager):
    hits = [received(content=f"退货第{i}次").pk for i in range(8)]
    received(title="别的", content="别的事情")

    shown, pages = every_page(cs_manager, limit=3, q="退货")
    shown_oldest, _ = every_page(cs_manager, limit=3, q="退货", sort="oldest")

    assert shown == hits[::-1]
    assert pages == 3
    assert shown_oldest == hits


def test_p9_decide_by_order_pages_by_date_then_id(cs_manager, aftersales_manager):
    dept = make_department(manager=aftersales_manager)
    today = timezone.localdate()
    days = [20, 5, 20, 12, 5]
    made = [
        reserved(
            received(),
            by=cs_manager,
            decider=cs_manager,
            departments=[dept],
            decide_by=today + timedelta(days=d),
        )
        for d in days
    ]
    received()  # no decide-by: not in this order

    shown, pages = every_page(cs_manager, limit=2, sort="decide_by")

    expected = [p.pk for p in sorted(made, key=lambda p: (fresh(p).decide_by, p.pk))]
    assert shown == expected
    assert pages == 3


# --- the page ------------------------------------------------------------------


def test_the_list_page_links_each_row_to_its_detail(client_for, worker):
    proposal = received(title="<script>alert(1)</script>退货")

    response = client_for(worker).get(reverse("proposals:list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("proposals:detail", args=[proposal.pk]) in page
    assert proposal.reference in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_the_list_page_filters_searches_and_links_to_the_next_page(client_for, worker):
    from aftersales.proposals.views_list import PAGE_SIZE

    hits = [received(content="保修期太短").pk for _ in range(PAGE_SIZE + 2)]
    received(title="无关", content="无关")
    client = client_for(worker)

    first = client.get(reverse("proposals:list"), {"q": "保修", "status": "received"})
    assert [p.pk for p in first.context["rows"]] == hits[::-1][:PAGE_SIZE]
    assert "q=%E4%BF%9D%E4%BF%AE" in first.context["next_url"]
    second = client.get(reverse("proposals:list") + first.context["next_url"])

    assert [p.pk for p in second.context["rows"]] == hits[::-1][PAGE_SIZE:]
    assert second.context["next_url"] == ""


def test_the_list_answers_htmx_with_the_rows_only(client_for, worker):
    received(title="要找的建议")

    response = client_for(worker).get(
        reverse("proposals:list"), {"q": "找的"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "要找的建议" in html
    assert "<html" not in html


def test_a_bad_page_link_shows_a_message_not_an_error_page(client_for, worker):
    response = client_for(worker).get(reverse("proposals:list"), {"cursor": "nonsense"})
    assert response.status_code == 200
    assert response.context["error"]


def test_an_outsider_gets_403_on_the_list(client_for, outsider):
    assert client_for(outsider).get(reverse("proposals:list")).status_code == 403


def test_only_those_who_may_export_see_the_export_link(client_for, worker, cs_manager):
    assert (
        'id="export-link"' not in client_for(worker).get(reverse("proposals:list")).content.decode()
    )
    page = client_for(cs_manager).get(reverse("proposals:list"), {"status": "received"})
    page = page.content.decode()
    assert 'id="export-link"' in page
    assert reverse("proposals:export") + "?status=received" in page


@pytest.mark.parametrize("params", [{}, {"q": "退货"}, {"status": "received", "q": "退货"}])
def test_list_query_count_does_not_grow_with_rows(
    client_for, cs_manager, django_assert_max_num_queries, params
):
    client = client_for(cs_manager)
    url = reverse("proposals:list")
    received()
    client.get(url, params)  # warm the session and permission caches for both counts
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url, params).context["rows"]) == 1
    for _ in range(29):
        received(customer=make_customer())
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url, params)
    assert len(response.context["rows"]) == 25
    assert len(thirty) == len(one), [q["sql"] for q in thirty.captured_queries]
    with django_assert_max_num_queries(len(one)):
        client.get(url, {**params, "cursor": response.context["next_cursor"]})
