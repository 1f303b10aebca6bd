"""Every read of messages that crosses rows; the query count of a page does not
grow with its rows."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch

from aftersales.notifications.failures import undeliverable_q
from aftersales.notifications.models import (
    NOT_TOLD,
    OFFLINE_WAITING,
    Channel,
    DeliveryAttempt,
    Message,
    MessageEvent,
    Status,
)

_LIST_RELATED = ("customer", "user__profile", "related_type")


def message_list(*, status: str = "", channel: str = "", customer_id: int | None = None):
    """Newest first, with what a row shows: one query a page."""
    messages = Message.objects.select_related(*_LIST_RELATED).defer("body")
    if status in Status.values:
        messages = messages.filter(status=status)
    if channel in Channel.values:
        messages = messages.filter(channel=channel)
    if customer_id:
        messages = messages.filter(customer_id=customer_id)
    return messages.order_by("-pk")


def message_detail_queryset():
    return Message.objects.select_related(
        *_LIST_RELATED, "created_by__profile", "handled_by__profile"
    ).prefetch_related(
        Prefetch("delivery_attempts", queryset=DeliveryAttempt.objects.order_by("number")),
        Prefetch(
            "events",
            queryset=MessageEvent.objects.select_related("by__profile").order_by("at", "id"),
        ),
    )


def attention_counts() -> dict[str, int]:
    """How many messages wait on someone: failed (not told), to print, to call.
    One grouped query over an indexed column."""
    wanted = (*NOT_TOLD, *OFFLINE_WAITING)
    rows = (
        Message.objects.filter(status__in=wanted)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = dict.fromkeys(wanted, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def offline_waiting(*, limit: int | None = None):
    """Letters to print and calls to make, oldest first: they have waited longest."""
    messages = (
        Message.objects.filter(status__in=OFFLINE_WAITING)
        .select_related("customer", "user__profile")
        .order_by("created_at", "pk")
    )
    return messages[:limit] if limit else messages


def undeliverable(*, limit: int | None = None):
    """Failed notices no retry can deliver, newest first (failures.failure_kind)."""
    messages = (
        Message.objects.filter(undeliverable_q())
        .select_related("customer", "user__profile")
        .order_by("-pk")
    )
    return messages[:limit] if limit else messages


def messages_about(record):
    """The messages linked to ``record`` (a proposal, say), oldest first, so
    its page can show whether the customer was told."""
    return (
        Message.objects.filter(
            related_type=ContentType.objects.get_for_model(record), related_id=record.pk
        )
        .select_related("customer", "user__profile")
        .order_by("pk")
    )
