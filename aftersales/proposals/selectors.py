"""Every read about proposals that crosses rows (STYLE rule 4): selectors own
select_related / prefetch_related, so a page's query count does not grow with
its rows."""

# --- list, search, summary (owned by the list/search work) -------------------

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.fields import id_message, parse_id
from aftersales.core.permissions import require
from aftersales.proposals import search
from aftersales.proposals.models import (
    ADOPTED_STATUSES,
    DECIDED_STATUSES,
    Channel,
    Proposal,
    Status,
    StudyRequest,
    Tally,
    opinion_delegators,
)

SORTS = ("newest", "oldest", "decide_by")
LIST_FILTERS = frozenset(
    {"status", "channel", "department", "received_from", "received_to", "overdue", "customer"}
)
EXPORT_CAP = 100_000
EXPORT_CHUNK = 2_000
RESERVES_SHOWN = 50


def _bad(code: str, field: str, message) -> DomainError:
    return DomainError(code, message, fields={field: message})


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _as_date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _bad("invalid_filter", field, _("Not a date (YYYY-MM-DD).")) from None


def _as_int(value, field: str) -> int:
    # An id as the shared id type reads it (issue 7): past 2**63 - 1 is refused
    # here instead of overflowing the database driver.
    number = parse_id(value)
    if number is None:
        raise _bad("invalid_filter", field, id_message())
    return number


def _filtered(filters: dict, *, today: date | None = None):
    """Proposals narrowed by every filter except the search."""
    proposals = Proposal.objects.select_related("customer", "implementing_department")
    status = filters.get("status")
    if status:
        if status not in Status.values:
            raise _bad("invalid_filter", "status", _("Unknown status."))
        proposals = proposals.filter(status=status)
    channel = filters.get("channel")
    if channel:
        if channel not in Channel.values:
            raise _bad("invalid_filter", "channel", _("Unknown channel."))
        proposals = proposals.filter(channel=channel)
    department = filters.get("department")
    if department:
        # P5/P7: a department's proposals are those sent to it for study and
        # those it implements.
        department = _as_int(department, "department")
        studied = StudyRequest.objects.filter(proposal_id=OuterRef("pk"), department_id=department)
        proposals = proposals.filter(Q(implementing_department_id=department) | Q(Exists(studied)))
    if filters.get("received_from"):
        start = _as_date(filters["received_from"], "received_from")
        proposals = proposals.filter(received_at__gte=_day_start(start))
    if filters.get("received_to"):
        end = _as_date(filters["received_to"], "received_to")
        proposals = proposals.filter(received_at__lt=_day_start(end + timedelta(days=1)))
    if filters.get("overdue"):
        # P5: a study past its due date without an opinion; P9: a reserve past
        # its decide-by date.
        today = today or timezone.localdate()
        late_study = StudyRequest.objects.filter(
            proposal_id=OuterRef("pk"), opinion_at__isnull=True, due_date__lt=today
        )
        proposals = proposals.filter(
            Q(Exists(late_study), status=Status.UNDER_STUDY)
            | Q(status=Status.RESERVED, decide_by__lt=today)
        )
    if filters.get("customer"):
        proposals = proposals.filter(customer_id=_as_int(filters["customer"], "customer"))
    return proposals


def _searched(proposals, query: search.Query, **index_bounds):
    """``proposals`` narrowed to those matching ``query``: the phrases by the
    full-text index, one-character Chinese terms by LIKE."""
    if query.phrases:
        sql, params = search.matching_ids_sql(query, **index_bounds)
        # Fixed SQL text from search.py; the user's words travel as parameters.
        proposals = proposals.filter(pk__in=RawSQL(sql, params))  # noqa: S611
    for char in query.like:
        proposals = proposals.filter(Q(title__contains=char) | Q(content__contains=char))
    return proposals


def _cursor_pk(value) -> int:
    number = parse_id(str(value))
    if number is None:
        raise ValueError(value)
    return number


def _parse_cursor(sort: str, cursor) -> tuple | None:
    if cursor in (None, ""):
        return None
    try:
        if sort == "decide_by":
            day, pk = str(cursor).split("_", 1)
            return date.fromisoformat(day), _cursor_pk(pk)
        return (_cursor_pk(cursor),)
    except ValueError:
        raise _bad("invalid_cursor", "cursor", _("This page link is not valid any more.")) from None


def proposal_list(
    *, user, filters: dict, cursor: str | None = None, limit: int = 25
) -> tuple[list[Proposal], str | None]:
    """One page of the staff list (keyset pagination) and the cursor of the
    next page, or None on the last. One query whatever the page size.

    ``filters``: status, channel, department (id), received_from /
    received_to (dates, inclusive), overdue (bool), customer (id), q (search)
    and sort: newest (by id, the default), oldest, or decide_by (reserved
    proposals by their decide-by date, then id).
    """
    require(user, "proposals.view_proposal")
    sort = filters.get("sort") or "newest"
    if sort not in SORTS:
        raise _bad("invalid_sort", "sort", _("Unknown order."))
    position = _parse_cursor(sort, cursor)
    proposals = _filtered(filters)
    query = search.parse(filters.get("q") or "")
    if (filters.get("q") or "").strip() and not query:
        return [], None  # only punctuation: nothing can match

    if sort == "decide_by":
        proposals = proposals.filter(decide_by__isnull=False)
        if position:
            day, pk = position
            proposals = proposals.filter(Q(decide_by__gt=day) | Q(decide_by=day, pk__gt=pk))
        proposals = _searched(proposals, query).order_by("decide_by", "pk")
    else:
        descending = sort == "newest"
        bound = {}
        if position:
            (pk,) = position
            if descending:
                bound, proposals = {"before": pk}, proposals.filter(pk__lt=pk)
            else:
                bound, proposals = {"after": pk}, proposals.filter(pk__gt=pk)
        # A plain search (no other filter) takes its page inside the index:
        # ids follow time, so the index's own order is the list's order.
        plain = not any(filters.get(key) for key in LIST_FILTERS) and not query.like
        if query.phrases and plain:
            bound |= {"descending": descending, "limit": limit + 1}
        proposals = _searched(proposals, query, **bound).order_by("-pk" if descending else "pk")

    rows = list(proposals[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    next_cursor = f"{last.decide_by.isoformat()}_{last.pk}" if sort == "decide_by" else str(last.pk)
    return rows, next_cursor


# --- export ------------------------------------------------------------------


def proposal_export_header() -> list[str]:
    """Column titles, in the language active for the request."""
    return [
        _("Reference"),
        _("Received"),
        _("Channel"),
        _("Status"),
        _("Customer"),
        _("Title"),
        _("Category"),
        _("Implementing department"),
        _("Decide by"),
        _("Decided"),
    ]


def proposal_export_rows(
    *, user, filters: dict, cap: int = EXPORT_CAP, chunk: int = EXPORT_CHUNK
) -> Iterator[tuple]:
    """The filtered list as plain rows for a spreadsheet, read a chunk at a
    time by the list's own keyset (memory stays flat). At most ``cap`` rows;
    past that a last row says the export was cut short."""
    require(user, "proposals.export_proposal")
    from aftersales.core.templatetags.aftersales import localized_name

    cursor, done = None, 0
    while True:
        rows, cursor = proposal_list(
            user=user, filters=filters, cursor=cursor, limit=min(chunk, cap - done)
        )
        for p in rows:
            yield (
                p.reference,
                timezone.localtime(p.received_at).replace(tzinfo=None),
                p.get_channel_display(),
                p.get_status_display(),
                p.customer.name,
                p.title,
                p.get_category_display() if p.category else "",
                localized_name(p.implementing_department) if p.implementing_department else "",
                p.decide_by,
                timezone.localtime(p.decided_at).replace(tzinfo=None) if p.decided_at else None,
            )
        done += len(rows)
        if cursor is None:
            return
        if done >= cap:
            yield (
                _(
                    "Only the first %(count)s proposals were exported. "
                    "Narrow the filters to export the rest."
                )
                % {"count": f"{cap:,}"},
            )
            return


# --- summary -----------------------------------------------------------------


def _median_from_histogram(histogram: dict[int, int]) -> float | None:
    total = sum(histogram.values())
    if total <= 0:
        return None
    # The middle value, or the mean of the two middle values.
    wanted = {(total - 1) // 2, total // 2}
    found, seen = [], 0
    for days in sorted(histogram):
        count = histogram[days]
        if count <= 0:
            continue
        for index in sorted(wanted):
            if seen <= index < seen + count:
                found.append(days)
        seen += count
    return sum(found) / len(found) if found else None


def proposal_summary(*, today: date | None = None) -> dict:
    """The summary page's figures (P4-P9), from the Tally counters kept by the
    services in the transaction of each change, plus one query for the
    reserves near or past their decide-by date (P9). A fixed number of
    queries however many proposals there are."""
    from aftersales.accounts.models import Department
    from aftersales.policy.services import policy_value

    today = today or timezone.localdate()
    counts: dict[str, int] = {}
    # The counters are spread over shards; the database adds them up.
    for key, total in Tally.objects.values_list("key").annotate(total=Sum("count")):
        counts[key] = total or 0

    def prefixed(prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: v for k, v in counts.items() if k.startswith(prefix)}

    statuses = prefixed("status:")
    by_status = [(code, label, statuses.get(code, 0)) for code, label in Status.choices]
    channels = prefixed("channel:")
    by_channel = [(code, label, channels.get(code, 0)) for code, label in Channel.choices]
    per_department = {int(k): v for k, v in prefixed("department:").items() if k.isdigit() and v}
    departments = Department.objects.in_bulk(list(per_department))
    by_department = sorted(
        ((departments[pk], n) for pk, n in per_department.items() if pk in departments),
        key=lambda pair: (-pair[1], pair[0].code),
    )
    histogram = {int(k): v for k, v in prefixed("decision_days:").items() if k.isdigit()}

    decided = sum(statuses.get(s, 0) for s in DECIDED_STATUSES)
    adopted = sum(statuses.get(s, 0) for s in ADOPTED_STATUSES)
    # P9: reserves the reminder window has reached, and those already past.
    window = int(policy_value("reserve_reminder_days_before", on=today))
    reserves = list(
        Proposal.objects.select_related("customer")
        .filter(status=Status.RESERVED, decide_by__lte=today + timedelta(days=window))
        .order_by("decide_by", "pk")[:RESERVES_SHOWN]
    )
    for proposal in reserves:
        proposal.days_left = (proposal.decide_by - today).days
        proposal.days_past = max(0, -proposal.days_left)
    return {
        "total": sum(statuses.values()),
        "by_status": by_status,
        "by_channel": by_channel,
        "by_department": by_department,
        "decided": decided,
        "adopted": adopted,
        "adoption_rate": adopted / decided if decided else None,
        "median_days_to_decision": _median_from_histogram(histogram),
        "decisions_counted": sum(histogram.values()),
        "reserves": reserves,
        "reserves_shown": RESERVES_SHOWN,
        "reserve_window_days": window,
        "today": today,
    }


# --- detail and timeline (owned by the detail-page work) ---------------------
# Imports stay inside the functions below: the top of this module belongs to
# the list/search section.


def proposal_detail_queryset():
    """One proposal with everything its page shows, in a fixed number of
    queries however many events, studies or files it has."""
    from django.db.models import Prefetch

    from aftersales.proposals.models import (
        Proposal,
        ProposalEvent,
        ReserveExtension,
        StudyRequest,
    )

    return Proposal.objects.select_related(
        "customer",
        "recorded_by__profile",
        "accepted_by__profile",
        "decided_by__profile",
        "implemented_by__profile",
        "implementing_department",
        "duplicate_of",
    ).prefetch_related(
        "customer__contacts",
        "attachments",
        # P5: the duplicates closed into this proposal, handled here.
        Prefetch("duplicates", queryset=Proposal.objects.order_by("pk")),
        Prefetch(
            "study_requests",
            queryset=StudyRequest.objects.select_related(
                "department__manager__profile", "opinion_by__profile"
            ),
        ),
        Prefetch(
            "reserve_extensions",
            queryset=ReserveExtension.objects.select_related("approved_by__profile"),
        ),
        Prefetch("events", queryset=ProposalEvent.objects.select_related("by__profile")),
    )


def proposal_notices(proposal):
    """The notices sent about a proposal, to its customer or to colleagues,
    oldest first: one query."""
    from django.contrib.contenttypes.models import ContentType

    from aftersales.notifications.models import Message

    return list(
        Message.objects.filter(
            related_type=ContentType.objects.get_for_model(type(proposal)),
            related_id=proposal.pk,
        )
        .only(
            "id",
            "created_at",
            "customer_id",
            "user_id",
            "recipient_name",
            "channel",
            "template",
            "subject",
            "status",
            "attempts",
            "sent_at",
        )
        .order_by("created_at", "id")
    )


def proposal_timeline(proposal, notices=None) -> list[dict]:
    """Events (prefetched on ``proposal``) and notices merged in time order.
    Each entry is {"at", "event"} or {"at", "notice"}."""
    notices = proposal_notices(proposal) if notices is None else notices
    entries = [{"at": e.at, "order": (0, e.pk), "event": e} for e in proposal.events.all()]
    entries += [{"at": m.created_at, "order": (1, m.pk), "notice": m} for m in notices]
    entries.sort(key=lambda entry: (entry["at"], entry["order"]))
    return entries


def studies_answerable_by(user, studies) -> set[int]:
    """The ids of the open ``studies`` whose opinion ``user`` may write: the
    department's manager, or whom that manager delegated a managing role to.
    The same rule as actions.can_write_opinion, asked once for all the
    studies of a page instead of once per study (P5)."""

    if not (user and user.is_authenticated and user.is_active):
        return set()
    studies = [s for s in studies if s.department.manager_id is not None]
    if not studies:
        return set()
    delegators = {user.pk}
    others = {s.department.manager_id for s in studies} - delegators
    if others:
        delegators |= set(
            opinion_delegators(user)
            .filter(delegator_id__in=others)
            .values_list("delegator_id", flat=True)
        )
    return {s.pk for s in studies if s.department.manager_id in delegators}


def departments_for_routing(proposal):
    """Active departments with a manager that are not yet studying the
    proposal (P5: each study opinion needs a manager to write it)."""
    from aftersales.accounts.models import Department

    taken = [s.department_id for s in proposal.study_requests.all()]
    return (
        Department.objects.filter(active=True, manager__isnull=False)
        .exclude(pk__in=taken)
        .order_by("code")
    )


def departments_for_implementation():
    from aftersales.accounts.models import Department

    return Department.objects.filter(active=True).order_by("code")
