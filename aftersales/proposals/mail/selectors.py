"""Reads of stored inbound mail for the staff pages (P4)."""

from django.db.models import QuerySet

from aftersales.proposals.models import InboundMail


def inbound_mail_list(*, outcome: str = "") -> QuerySet[InboundMail]:
    rows = InboundMail.objects.select_related("proposal").order_by("-pk")
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows


def quarantined_count() -> int:
    return InboundMail.objects.filter(outcome=InboundMail.Outcome.QUARANTINED).count()


def inbound_mail_detail() -> QuerySet[InboundMail]:
    return InboundMail.objects.select_related("proposal", "retried_by__profile").prefetch_related(
        "attachments"
    )
