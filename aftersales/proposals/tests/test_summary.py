"""The summary page (issue 3): counts by status, channel and department,
adoption rate, median days to decision, and reserved proposals near or past
their decide-by date (P9), all matching what the workflow did."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.proposals import selectors, services
from aftersales.proposals.models import Channel, Proposal, Status
from aftersales.proposals.tests.factories import (
    adopted,
    fresh,
    make_department,
    make_proposal,
    studied,
)

pytestmark = pytest.mark.django_db


def received(days_ago: int = 0, **fields) -> Proposal:
    return make_proposal(
        received_at=timezone.now() - timedelta(days=days_ago), acknowledge=False, **fields
    )


def not_adopted(proposal, *, by, departments):
    proposal = studied(proposal, by=by, departments=departments)
    return services.proposal_not_adopt(
        proposal=proposal, by=by, note="暂不可行。", seen_version=proposal.version
    )


def reserved(proposal, *, by, departments, in_days: int):
    proposal = studied(proposal, by=by, departments=departments)
    return services.proposal_reserve(
        proposal=proposal,
        by=by,
        reason="需要评估成本。",
        decide_by=timezone.localdate() + timedelta(days=in_days),
        seen_version=proposal.version,
    )


@pytest.fixture
def workflow(cs_manager, aftersales_manager, make_staff):
    """Proposals moved through the services, as the real workflow moves them."""
    quality = make_department(manager=aftersales_manager)
    design = make_department(manager=make_staff("design_manager", Role.DEPARTMENT_MANAGER))
    cs = cs_manager
    made = {
        "adopted_10d": adopted(received(10), by=cs, decider=cs, departments=[quality, design]),
        "not_adopted_4d": not_adopted(received(4), by=cs, departments=[quality]),
        "adopted_2d": adopted(received(2), by=cs, decider=cs, departments=[design]),
        "reserve_near": reserved(received(1), by=cs, departments=[quality], in_days=3),
        "reserve_far": reserved(received(1), by=cs, departments=[quality], in_days=30),
        "reserve_past": reserved(received(1), by=cs, departments=[quality], in_days=20),
        "letter": received(channel=Channel.LETTER, by=cs),
        "phone": received(channel=Channel.PHONE, by=cs),
    }
    implemented = made["adopted_2d"]
    services.proposal_implemented(
        proposal=implemented, by=cs, note="已完成。", seen_version=fresh(implemented).version
    )
    # A reserve whose date has passed (its escalation is another test's business).
    yesterday = timezone.localdate() - timedelta(days=1)
    Proposal.objects.filter(pk=made["reserve_past"].pk).update(decide_by=yesterday)
    return {"departments": (quality, design), **made}


def test_counts_by_status_and_channel_match_the_proposals(workflow):
    summary = selectors.proposal_summary()

    by_status = {code: n for code, _, n in summary["by_status"]}
    truth = dict(Proposal.objects.values_list("status").annotate(n=Count("id")))
    assert by_status == {code: truth.get(code, 0) for code in Status.values}
    assert by_status[Status.RESERVED] == 3
    assert by_status[Status.IMPLEMENTED] == 1
    by_channel = {code: n for code, _, n in summary["by_channel"]}
    assert by_channel == {"web": 6, "email": 0, "letter": 1, "phone": 1}
    assert summary["total"] == Proposal.objects.count() == 8


def test_p5_counts_by_department_are_the_studies_sent_there(workflow):
    quality, design = workflow["departments"]

    summary = selectors.proposal_summary()

    assert [(d.pk, n) for d, n in summary["by_department"]] == [(quality.pk, 5), (design.pk, 2)]


def test_p6_adoption_rate_and_median_days_to_decision(workflow):
    summary = selectors.proposal_summary()

    # Decided: adopted (10 days), not adopted (4 days), adopted then implemented (2 days).
    assert (summary["adopted"], summary["decided"]) == (2, 3)
    assert summary["adoption_rate"] == pytest.approx(2 / 3)
    assert summary["median_days_to_decision"] == 4
    assert summary["decisions_counted"] == 3


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert selectors._median_from_histogram({1: 1, 3: 1}) == 2
    assert selectors._median_from_histogram({0: 2, 7: 1, 9: 1}) == 3.5
    assert selectors._median_from_histogram({}) is None


def test_p9_reserves_near_or_past_their_decide_by_date_are_listed_soonest_first(workflow):
    summary = selectors.proposal_summary()

    assert [p.pk for p in summary["reserves"]] == [
        workflow["reserve_past"].pk,
        workflow["reserve_near"].pk,
    ]
    assert [p.days_left for p in summary["reserves"]] == [-1, 3]
    assert summary["reserve_window_days"] == 7


def test_the_summary_page_shows_the_figures(client_for, worker, workflow):
    response = client_for(worker).get(reverse("proposals:summary"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<dd id="total">8</dd>' in page
    assert '<td data-status="reserved">3</td>' in page
    assert "67%" in page
    assert workflow["reserve_past"].reference in page
    assert workflow["reserve_far"].reference not in page


def test_an_outsider_gets_403_on_the_summary(client_for, outsider):
    assert client_for(outsider).get(reverse("proposals:summary")).status_code == 403


def test_summary_query_count_does_not_grow_with_rows(
    client_for, cs_manager, aftersales_manager, django_assert_max_num_queries
):
    departments = [make_department(manager=aftersales_manager) for _ in range(3)]
    client = client_for(cs_manager)
    url = reverse("proposals:summary")
    reserved(received(), by=cs_manager, departments=departments[:1], in_days=2)
    client.get(url)  # warm the session and permission caches for both counts
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["summary"]["reserves"]) == 1
    for i in range(29):
        reserved(received(), by=cs_manager, departments=[departments[i % 3]], in_days=1 + i % 5)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url)
    assert len(response.context["summary"]["reserves"]) == 30
    assert len(response.context["summary"]["by_department"]) == 3
    assert len(thirty) == len(one), [q["sql"] for q in thirty.captured_queries]
    with django_assert_max_num_queries(len(one)):
        client.get(url)
