"""Large-data seeding of proposals (``aftersales seed --scale N``), at a small
scale: the rows are consistent with each other and with the summary counters."""

import zoneinfo
from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from aftersales.customers.models import Customer
from aftersales.notifications.models import Message
from aftersales.proposals import search
from aftersales.proposals.models import (
    DECIDED_STATUSES,
    Proposal,
    ProposalEvent,
    Status,
    StudyRequest,
    Tally,
)
from aftersales.proposals.selectors import proposal_summary

ANCHOR = date(2026, 3, 31)
SCALE = 400

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    # The seed record goes to var/seed/; keep the tests' records out of the real var/.
    settings.VAR_DIR = tmp_path
    return tmp_path


def seed(scale: int = SCALE, *extra: str) -> str:
    out = StringIO()
    call_command(
        "seed",
        "--scale",
        str(scale),
        "--no-progress",
        "--anchor-date",
        ANCHOR.isoformat(),
        *extra,
        stdout=out,
    )
    return out.getvalue()


def tallies(prefix: str) -> dict[str, int]:
    out = Counter()
    for key, count in Tally.objects.filter(key__startswith=prefix).values_list("key", "count"):
        out[key.removeprefix(prefix)] += count
    return {k: v for k, v in out.items() if v}


def local_day(moment) -> date:
    return moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def test_p4_scale_seeds_one_proposal_per_unit_with_counters_that_match_the_rows():
    out = seed()

    assert Proposal.objects.count() == SCALE
    assert "proposals:" in out
    # The summary page reads the Tally counters: they must say what the rows say.
    by_status = dict(Proposal.objects.values_list("status").annotate(n=Count("id")))
    assert tallies("status:") == by_status
    by_channel = dict(Proposal.objects.values_list("channel").annotate(n=Count("id")))
    assert tallies("channel:") == by_channel
    by_department = {
        str(k): v for k, v in StudyRequest.objects.values_list("department").annotate(n=Count("id"))
    }
    assert tallies("department:") == by_department
    decided = Proposal.objects.filter(status__in=DECIDED_STATUSES)
    days = Counter(
        str((local_day(p.decided_at) - local_day(p.received_at)).days)
        for p in decided.only("decided_at", "received_at")
    )
    assert tallies("decision_days:") == dict(days)
    summary = proposal_summary()
    assert summary["total"] == SCALE
    assert summary["decided"] == decided.count()
    assert summary["decisions_counted"] == decided.count()


def test_p4_p9_statuses_spread_like_a_real_department():
    seed()

    statuses = Counter(Proposal.objects.values_list("status", flat=True))
    decided = sum(statuses[s] for s in DECIDED_STATUSES)
    assert decided > SCALE * 0.7, statuses  # most are decided
    assert statuses[Status.CLOSED] > 0
    assert statuses[Status.UNDER_STUDY] + statuses[Status.RESERVED] > 0, statuses
    # P9: every reserve has a reason and a decide-by date within the limit.
    for p in Proposal.objects.filter(reserved_on__isnull=False):
        assert p.reserve_reason and p.decide_by
        assert p.reserved_on < p.decide_by <= p.reserved_on + timedelta(days=60)
    # P7: every adopted proposal has its department, date and measures.
    for p in Proposal.objects.filter(status__in=[Status.ADOPTED, Status.IMPLEMENTED]):
        assert p.implementing_department_id and p.planned_implementation_date
        assert p.improvement_measures


def test_p4_references_dates_and_customers_are_consistent():
    seed()

    start = ANCHOR - timedelta(days=3 * 365 + 1)
    rows = list(
        Proposal.objects.order_by("pk").values_list(
            "pk", "reference", "received_at", "customer__created_at"
        )
    )
    received = [r[2] for r in rows]
    assert received == sorted(received), "ids grow with time"
    for pk, reference, at, customer_created in rows:
        assert reference == f"P-{local_day(at).year}-{pk:06d}"
        assert start <= local_day(at) <= ANCHOR
        assert at >= customer_created, "a customer exists before their proposal"
    # Several proposals from those customers who write.
    per_customer = Counter(Proposal.objects.values_list("customer_id", flat=True))
    assert max(per_customer.values()) >= 3
    assert Customer.objects.count() == SCALE


def test_p4_every_proposal_has_its_received_event_status_events_and_notices():
    seed()

    received = set(
        ProposalEvent.objects.filter(kind="received").values_list("proposal_id", flat=True)
    )
    assert received == set(Proposal.objects.values_list("pk", flat=True))
    last_status = {}
    for pid, new in (
        ProposalEvent.objects.filter(kind="status")
        .order_by("at", "id")
        .values_list("proposal_id", "new_status")
    ):
        last_status[pid] = new
    for pk, status in Proposal.objects.values_list("pk", "status"):
        assert last_status.get(pk, Status.RECEIVED) == status
    notices = Message.objects.filter(
        related_type=ContentType.objects.get_for_model(Proposal), template="proposals/proposal_ack"
    )
    assert set(notices.values_list("related_id", flat=True)) == received
    assert notices.filter(status="sent", channel="email").exists()
    sample = (
        Message.objects.filter(template="proposals/proposal_adopted")
        .select_related("customer")
        .first()
    )
    proposal = Proposal.objects.get(pk=sample.related_id)
    assert proposal.reference in sample.subject and proposal.title in sample.body
    assert proposal.improvement_measures in sample.body
    assert sample.customer_id == proposal.customer_id
    assert "{" not in sample.body


def test_p4_text_is_chinese_and_english_about_after_sales():
    seed()

    contents = list(
        Proposal.objects.exclude(status=Status.CLOSED).values_list("content", "language")
    )
    assert all(100 <= len(c) <= 500 for c, _lang in contents)
    joined = "".join(c for c, _lang in contents)
    for word in ("退货", "保修", "维修", "服务", "配件", "安装"):
        assert word in joined
    assert {"zh-hans", "en"} <= {lang for _c, lang in contents}


def test_p4_seeded_proposals_are_in_the_search_index():
    seed()

    query = search.parse("退货")
    sql, params = search.matching_ids_sql(query)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {row[0] for row in cursor.fetchall()}
    expected = set(
        Proposal.objects.filter(title__contains="退货").values_list("pk", flat=True)
    ) | set(Proposal.objects.filter(content__contains="退货").values_list("pk", flat=True))
    assert expected and found == expected


def test_p4_seeding_twice_adds_up_counters_and_rows():
    seed(150)
    seed(150)

    assert Proposal.objects.count() == 300
    assert sum(tallies("status:").values()) == 300
    assert sum(tallies("channel:").values()) == 300
    by_status = dict(Proposal.objects.values_list("status").annotate(n=Count("id")))
    assert tallies("status:") == by_status
    assert len(set(Proposal.objects.values_list("reference", flat=True))) == 300
