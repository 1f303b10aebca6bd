"""Large-data seeding of proposals (``aftersales seed --scale N``): N proposals
over the last three years, with their events, study requests, notices, the
summary counters and the search index. Found by the core registry's
autodiscovery (registry.py), like admin.py.

Each proposal's life is drawn first (accepted after hours, studied for days,
decided, maybe reserved, implemented) and then cut at the anchor moment: its
status is the last step that already happened. So old proposals are decided,
recent ones are still received, accepted or under study, and a reserve taken
a few weeks ago is still waiting with its decide-by date near or past (P9).

Rows go in as tuples, by ``executemany`` on SQLite and ``COPY`` on
PostgreSQL (see core/seeding/bulk.py for why not bulk_create), 5,000
proposals a transaction, and the Tally counters of that batch in the same
transaction, so the summary page agrees with the rows even if seeding stops
half-way.

Notices carry the portal's lookup address, not a signed link: a signed link is
bound to the SECRET_KEY of the seeding run, which a benchmark server does not
share. Seeded notices have no delivery attempts or message events.
"""

import json
import time
import zoneinfo
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from aftersales.accounts.models import Department
from aftersales.accounts.seeding import EMPLOYEE_PREFIX
from aftersales.core.roles import Role
from aftersales.core.seeding.bulk import write_rows
from aftersales.core.seeding.registry import YEARS_OF_HISTORY, anchor_day, aware, seed_step
from aftersales.customers.models import ContactPoint, Customer
from aftersales.notifications.models import Message
from aftersales.notifications.rendering import render_message
from aftersales.policy.models import PolicyVersion
from aftersales.proposals import demo as _demo  # noqa: F401 - registers the demo step
from aftersales.proposals import seed_text
from aftersales.proposals.models import (
    Category,
    Channel,
    CloseReason,
    DevelopmentMode,
    Proposal,
    ProposalEvent,
    Status,
    StudyRequest,
)

BATCH = 5000
DAY = 86400.0
HOUR = 3600.0
STUDY_DUE_DAYS = 14  # the policy default (P5), as the study was routed
RESERVE_MAX_DAYS = 60  # the policy default (P9)

# Ids of the proposals the last "proposals" step wrote in this process, for
# the search step that follows it.
_LAST_RUN: dict = {}


@seed_step("proposals", order=30, version=1)
def seed_proposals(scale, rng, progress):
    """``scale`` proposals, several from each customer who writes (long-standing
    customers write more), ids growing with their date received."""
    p = _Plan(scale, rng)
    ids_from = _next_id(Proposal)
    event_id, study_id, message_id = (
        _next_id(ProposalEvent),
        _next_id(StudyRequest),
        _next_id(Message),
    )
    made = Counter()
    bar = progress(scale, "proposals")
    for first in range(0, scale, BATCH):
        size = min(scale, first + BATCH) - first
        rows = _Rows()
        for i in range(first, first + size):
            p.proposal(ids_from + i, i, rows)
        for kind, items in (("events", rows.events), ("studies", rows.studies)):
            start = event_id if kind == "events" else study_id
            items[:] = [(start + n, *row) for n, row in enumerate(items)]
        event_id += len(rows.events)
        study_id += len(rows.studies)
        rows.messages[:] = [
            (message_id + n, f"<seed.{message_id + n}@{settings.MAIL_DOMAIN}>", *row)
            for n, row in enumerate(rows.messages)
        ]
        message_id += len(rows.messages)
        with transaction.atomic():
            _put(Proposal, PROPOSAL_COLUMNS, rows.proposals)
            _put(ProposalEvent, EVENT_COLUMNS, rows.events)
            _put(StudyRequest, STUDY_COLUMNS, rows.studies)
            _put(Message, MESSAGE_COLUMNS, rows.messages)
            _add_tally(rows.tally)
        made.update(
            proposals=len(rows.proposals),
            events=len(rows.events),
            **{"study requests": len(rows.studies), "notices": len(rows.messages)},
        )
        bar.update(size)
    bar.close()
    _reset_sequences(Proposal, ProposalEvent, StudyRequest, Message)
    _LAST_RUN.update(first=ids_from, last=ids_from + scale - 1)
    write_lookups()
    return dict(made)


def lookups_path() -> Path:
    return Path(settings.VAR_DIR) / "seed" / f"proposal-lookups-{connection.vendor}.json"


def write_lookups(n: int = 500) -> Path:
    """(reference, email) pairs of seeded proposals, for the benchmark's portal
    look-up (bench/scenarios/proposals.py), which cannot query the database."""
    path = lookups_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pairs": lookup_pairs(n)}, ensure_ascii=False, indent=0))
    return path


def lookup_pairs(n: int = 500, last: int | None = None) -> list[list[str]]:
    """Up to ``n`` [reference, email] pairs of proposals spread over ids
    1..``last`` (default: the highest id), sorted."""
    if last is None:
        last = _next_id(Proposal) - 1
    ids = [1 + (k * last) // n for k in range(n)] if last else []
    rows = list(Proposal.objects.filter(pk__in=ids).values_list("reference", "customer_id"))
    emails = dict(
        ContactPoint.objects.filter(
            customer_id__in=[c for _r, c in rows], kind=ContactPoint.Kind.EMAIL
        )
        .order_by("-pk")
        .values_list("customer_id", "value")
    )
    return sorted([ref, emails[c]] for ref, c in rows if c in emails)


@seed_step("proposals_search", order=31, version=1)
def seed_search(scale, rng, progress):
    """The full-text index (search.py) for the proposals just seeded."""
    from aftersales.proposals.search import bulk_index

    first, last = _LAST_RUN.get("first"), _LAST_RUN.get("last")
    if first is None:
        return {"indexed": 0}
    bar = progress(last - first + 1, "search")
    done = 0
    for start in range(first, last + 1, BATCH * 10):
        rows = (
            Proposal.objects.filter(pk__gte=start, pk__lt=min(last + 1, start + BATCH * 10))
            .order_by("pk")
            .values_list("pk", "title", "content", "reference")
        )
        with transaction.atomic():
            n = bulk_index(rows.iterator(chunk_size=BATCH))
        done += n
        bar.update(n)
    bar.close()
    return {"indexed": done}


# --- one proposal's life ---------------------------------------------------


class _Rows:
    def __init__(self):
        self.proposals, self.events, self.studies, self.messages = [], [], [], []
        self.tally = Counter()


class _Plan:
    """Everything the rows are drawn from: customers, staff, departments,
    pre-rendered notice templates, the time span."""

    def __init__(self, scale: int, rng):
        self.scale, self.rng = scale, rng
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self._days, self._offsets = {}, {}
        self._suffix = "+00" if connection.vendor == "postgresql" else ""
        self.now = aware(anchor_day()).timestamp()
        self.span = timedelta(days=365 * YEARS_OF_HISTORY).total_seconds()
        self.start = self.now - self.span
        self.customers = _customers(scale)
        # Every fifth customer is a regular who writes again and again.
        self.regulars = self.customers[::5]
        self.acceptors = _staff(Role.AFTERSALES_SPECIALIST, Role.CS_MANAGER)
        self.deciders = _staff(Role.CS_MANAGER)
        self.recorders = _staff(Role.SERVICE_WORKER, Role.AFTERSALES_SPECIALIST)
        self.departments = list(
            Department.objects.filter(active=True, manager__isnull=False)
            .order_by("pk")
            .values_list("pk", "manager_id", "name")
        )
        policy = (
            PolicyVersion.objects.filter(status=PolicyVersion.Status.APPROVED)
            .order_by("-effective_from", "-approved_at", "-number")
            .first()
        )
        self.policy_id = policy.pk if policy else None
        self.reserve_max = int(policy.value("reserve_max_days")) if policy else RESERVE_MAX_DAYS
        self.study_due = int(policy.value("study_due_days")) if policy else STUDY_DUE_DAYS
        self.proposal_type = ContentType.objects.get_for_model(Proposal).pk
        self.lookup_url = settings.SITE_URL.rstrip("/") + "/portal/"
        self.max_attempts = settings.OUTBOX_MAX_ATTEMPTS
        self.notices = {
            (template, lang): _notice_format(template, lang)
            for template in _NOTICE_TEMPLATES
            for lang in ("zh-hans", "en")
        }

    # Timestamps as the database stores them: naive UTC text for SQLite
    # (as Django writes it), with an offset for PostgreSQL.
    # Both from tables (a million proposals make several million timestamps).
    def ts(self, t: float) -> str:
        t = int(t)
        d, sec = divmod(t, 86400)
        text = self._days.get(d)
        if text is None:
            text = self._days[d] = time.strftime("%Y-%m-%d ", time.gmtime(d * 86400))
        return text + _HMS[sec] + self._suffix

    def day(self, t: float) -> date:
        """The local date at ``t`` (the offset looked up once per UTC day)."""
        d = int(t // 86400)
        offset = self._offsets.get(d)
        if offset is None:
            moment = datetime.fromtimestamp(d * 86400 + 43200, self.tz)
            offset = self._offsets[d] = int(moment.utcoffset().total_seconds())
        return _EPOCH + timedelta(days=int((t + offset) // 86400))

    def proposal(self, pk: int, i: int, rows: _Rows) -> None:
        rng = self.rng
        received = self.start + self.span * (i + rng.random()) / self.scale
        customer = self._customer_for(i)
        cid, cname, lang, created, contact = customer
        received = max(received, created + 60)
        channel = _draw(rng, _CHANNELS, _CHANNEL_WEIGHTS)
        recorder = rng.choice(self.recorders) if channel in (_CH.LETTER, _CH.PHONE) else None
        year = self.day(received).year
        reference = f"P-{year}-{pk:06d}"
        product = seed_text.product(rng)
        closed_reason = ""
        if rng.random() < 0.04:  # P5: not a proposal
            closed_reason = _draw(rng, _CLOSE_REASONS, (50, 85, 100))
        if closed_reason == _CR.SPAM:
            title, content = seed_text.spam(rng)
        else:
            title = seed_text.title(rng, lang, product)
            content = seed_text.content(rng, lang, product)
        events = rows.events
        tally = rows.tally
        tally[f"channel:{channel}"] += 1
        events.append(
            (pk, "received", "", _S.RECEIVED, recorder, self.ts(received), "",
             f'{{"channel": "{channel}"}}')
        )  # fmt: skip
        self._notice(rows, "proposals/proposal_ack", pk, reference, title, customer, received + 90)
        row = dict.fromkeys(PROPOSAL_COLUMNS, None)
        row.update(
            id=pk,
            reference=reference,
            customer_id=cid,
            channel=channel,
            status=_S.RECEIVED,
            title=title,
            content=content,
            language=lang,
            received_at=self.ts(received),
            recorded_by_id=recorder,
            consent_at=self.ts(received) if channel == _CH.WEB else None,
            source_message_id=f"<{pk}.{rng.randrange(10**9)}@mail.example>"
            if channel == _CH.EMAIL
            else "",
            category="",
            summary="",
            close_reason="",
            close_note="",
            decision_note="",
            reserve_reason="",
            improvement_measures="",
            implementation_note="",
            development_mode="",
            agreement_reference="",
            created_at=self.ts(received),
        )
        state = {"status": _S.RECEIVED, "last": received, "saves": 1}

        def move(new, at, by, note="", data="{}"):
            events.append(
                (pk, "status", state["status"], new, by, self.ts(at), note,
                 data)
            )  # fmt: skip
            state.update(status=new, last=at, saves=state["saves"] + 1)

        self._life(
            pk, received, closed_reason, row, rows, move, state, customer, reference, title, lang
        )
        tally[f"status:{state['status']}"] += 1
        row.update(
            status=state["status"], updated_at=self.ts(state["last"]), version=state["saves"]
        )
        rows.proposals.append(tuple(row[c] for c in PROPOSAL_COLUMNS))

    def _life(
        self, pk, received, closed_reason, row, rows, move, state, customer, reference, title, lang
    ):
        rng, now = self.rng, self.now
        # P5: acceptance, a few hours to three days after arrival.
        accepted = received + rng.uniform(2, 72) * HOUR
        if accepted > now:
            return
        acceptor = rng.choice(self.acceptors)
        if closed_reason:  # P5: closed with a reason, no thank-you
            note = (
                seed_text.pick(rng, lang, seed_text.CLOSE_NOTE_ZH, seed_text.CLOSE_NOTE_EN)
                if closed_reason == _CR.OTHER
                else ""
            )
            row.update(close_reason=closed_reason, close_note=note)
            move(_S.CLOSED, accepted, acceptor, note, f'{{"reason": "{closed_reason}"}}')
            return
        category = _draw(rng, _CATEGORIES, (35, 80, 95, 100))
        row.update(
            accepted_at=self.ts(accepted),
            accepted_by_id=acceptor,
            category=category,
            summary=row["content"][:80],
        )
        move(_S.ACCEPTED, accepted, acceptor)
        # P5: study by one to three departments, each with a due date.
        routed = accepted + rng.uniform(0.5, 48) * HOUR
        if routed > now:
            return
        n_depts = _draw(rng, (1, 2, 3), (75, 95, 100))
        depts = rng.sample(self.departments, min(n_depts, len(self.departments)))
        due = self.day(routed) + timedelta(days=self.study_due)
        answered_last = routed
        all_answered = True
        for dept_id, manager_id, dept_name in depts:
            # Most answer within the due time; one in ten is late.
            days = rng.uniform(1, self.study_due) if rng.random() < 0.9 else rng.uniform(14, 60)
            opinion_at = routed + days * DAY
            done = opinion_at <= now
            opinion = (
                seed_text.pick(rng, lang, seed_text.OPINION_ZH, seed_text.OPINION_EN)
                if done
                else ""
            )
            rows.studies.append(
                (pk, dept_id, due.isoformat(), acceptor, opinion,
                 self.ts(opinion_at) if done else None, manager_id if done else None,
                 self.ts(routed), self.ts(opinion_at if done else routed))
            )  # fmt: skip
            rows.events.append(
                (pk, "study_requested", "", "", acceptor, self.ts(routed), dept_name,
                 f'{{"department": {dept_id}, "due_date": "{due}"}}')
            )  # fmt: skip
            rows.tally[f"department:{dept_id}"] += 1
            if done:
                rows.events.append(
                    (pk, "opinion", "", "", manager_id, self.ts(opinion_at), opinion,
                     f'{{"department": {dept_id}}}')
                )  # fmt: skip
                state["saves"] += 1
                answered_last = max(answered_last, opinion_at)
            else:
                all_answered = False
        move(_S.UNDER_STUDY, routed, acceptor)
        if not all_answered:
            state["last"] = max(state["last"], answered_last)
            return
        state["last"] = answered_last
        # P6: the decision, half a day to ten days after the last opinion.
        decided = answered_last + rng.uniform(0.5, 10) * DAY
        if decided > now:
            return
        decider = rng.choice(self.deciders)
        roll = rng.random()
        if roll < 0.15:  # P9: reserved, decided later (or still waiting)
            reason = seed_text.pick(rng, lang, seed_text.RESERVE_ZH, seed_text.RESERVE_EN)
            reserved_on = self.day(decided)
            decide_by = reserved_on + timedelta(days=rng.randint(14, self.reserve_max))
            row.update(
                decided_at=self.ts(decided),
                decided_by_id=decider,
                decision_note=reason,
                reserve_reason=reason,
                reserved_on=reserved_on.isoformat(),
                decide_by=decide_by.isoformat(),
                reserve_policy_id=self.policy_id,
            )
            move(_S.RESERVED, decided, decider, reason, f'{{"decide_by": "{decide_by}"}}')
            self._notice(rows, "proposals/proposal_reserved", pk, reference, title, customer, decided + 60,
                         reason=reason, decide_by=decide_by)  # fmt: skip
            # Some are decided after their decide-by date: the reminders and
            # escalation of P9 exist for them.
            decided = decided + rng.uniform(10, self.reserve_max + 20) * DAY
            if decided > now:
                return
            decider = rng.choice(self.deciders)
            adopt = rng.random() < 0.4
        else:
            adopt = roll < 0.45
        row.update(decided_at=self.ts(decided), decided_by_id=decider)
        days = (self.day(decided) - self.day(received)).days
        rows.tally[f"decision_days:{max(days, 0)}"] += 1
        if not adopt:  # P8
            note = seed_text.pick(rng, lang, seed_text.DECLINE_ZH, seed_text.DECLINE_EN)
            row.update(decision_note=note)
            move(_S.NOT_ADOPTED, decided, decider, note)
            self._notice(rows, "proposals/proposal_not_adopted", pk, reference, title, customer,
                         decided + 60, note=note)  # fmt: skip
            return
        # P7: adopted, with the department, planned date and measures.
        dept_id, manager_id, dept_name = rng.choice(self.departments)
        planned = self.day(decided) + timedelta(days=rng.randint(20, 120))
        measures = seed_text.pick(rng, lang, seed_text.MEASURES_ZH, seed_text.MEASURES_EN)
        mode = _draw(rng, ("", _DM.COMPANY, _DM.JOINT),
                     (85, 97, 100))  # fmt: skip
        row.update(
            decision_note="",
            implementing_department_id=dept_id,
            planned_implementation_date=planned.isoformat(),
            improvement_measures=measures,
            development_mode=mode,
            agreement_reference=f"JD-{planned.year}-{pk % 10000:04d}" if mode == _DM.JOINT else "",
        )
        move(_S.ADOPTED, decided, decider)
        self._notice(rows, "proposals/proposal_adopted", pk, reference, title, customer, decided + 60,
                     department=dept_name, planned_date=planned, measures=measures)  # fmt: skip
        if mode:
            state["saves"] += 1
        implemented = (
            datetime.combine(planned, datetime.min.time(), self.tz).timestamp()
            + rng.uniform(8, 18) * HOUR
        )
        if implemented > now or rng.random() < 0.1:
            return
        row.update(implemented_at=self.ts(implemented), implemented_by_id=manager_id)
        move(_S.IMPLEMENTED, implemented, manager_id)
        self._notice(rows, "proposals/proposal_implemented", pk, reference, title, customer,
                     implemented + 60, measures=measures)  # fmt: skip

    def _customer_for(self, i: int):
        """Someone already a customer when the proposal arrived: half the time
        a regular, else anyone; customer k was created before proposal k."""
        rng = self.rng
        if rng.random() < 0.5 and i >= 5:
            return self.regulars[int(rng.random() * (i // 5))]
        return self.customers[int(rng.random() * max(i, 1))]

    def _notice(self, rows, template, pk, reference, title, customer, at, **extra):
        if at > self.now:
            return
        cid, cname, lang, _created, (channel, address) = customer
        subject, body = self.notices[(template, lang)]
        values = {
            "recipient_name": cname,
            "title": title,
            "reference": reference,
            "portal_url": self.lookup_url,
            **extra,
        }
        for key in ("planned_date", "decide_by"):
            if key in values:
                values[key] = _date_text(values[key], lang)
        status = _NOTICE_STATUS[channel]
        sent = self.ts(at + 5)
        rows.messages.append(
            (cid, cname, address, channel or "email", lang, template,
             subject.format(**values)[:300], body.format(**values), status,
             0 if channel is None else 1, self.max_attempts,
             _NO_ADDRESS if channel is None else "",
             sent if status == "sent" else None,
             self.proposal_type, pk, self.ts(at), sent,
             sent if status in ("printed", "called") else None)
        )  # fmt: skip


def _date_text(day: date, lang: str) -> str:
    # What the templates' |date filter gives in each language.
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


# --- what the rows are made of ---------------------------------------------


def _plain(choices) -> SimpleNamespace:
    """Choices as plain strings: the COPY adapter would treat Enum members as enums."""
    return SimpleNamespace(**{member.name: member.value for member in choices})


_S, _CH, _CR, _CAT, _DM = map(_plain, (Status, Channel, CloseReason, Category, DevelopmentMode))
_EPOCH = date(1970, 1, 1)
_HMS = [f"{h:02d}:{m:02d}:{sec:02d}" for h in range(24) for m in range(60) for sec in range(60)]


def _draw(rng, values: tuple, cum_weights: tuple):
    """``rng.choices(values, cum_weights=...)[0]`` without its overhead."""
    x = rng.random() * cum_weights[-1]
    for value, weight in zip(values, cum_weights, strict=True):
        if x < weight:
            return value
    return values[-1]


_CHANNELS = (_CH.WEB, _CH.EMAIL, _CH.LETTER, _CH.PHONE)
_CHANNEL_WEIGHTS = (45, 80, 88, 100)
_CLOSE_REASONS = (_CR.SPAM, _CR.MISDIRECTED, _CR.OTHER)
_CATEGORIES = (_CAT.PRODUCT, _CAT.SERVICE, _CAT.PROCESS, _CAT.OTHER)
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_NOTICE_STATUS = {"email": "sent", "letter": "printed", "call": "called", None: "failed"}
_NO_ADDRESS = "No email, postal address or phone number is known for the recipient."
# Template -> the context it needs beyond recipient, title, reference, link.
_NOTICE_TEMPLATES = {
    "proposals/proposal_ack": (),
    "proposals/proposal_reserved": ("reason", "decide_by"),
    "proposals/proposal_not_adopted": ("note",),
    "proposals/proposal_adopted": ("department", "planned_date", "measures"),
    "proposals/proposal_implemented": ("measures",),
}
_SENTINEL_DAY = date(1900, 12, 31)

PROPOSAL_COLUMNS = tuple(f.attname for f in Proposal._meta.concrete_fields)
EVENT_COLUMNS = (
    "id",
    "proposal_id",
    "kind",
    "old_status",
    "new_status",
    "by_id",
    "at",
    "note",
    "data",
)
STUDY_COLUMNS = (
    "id", "proposal_id", "department_id", "due_date", "requested_by_id", "opinion", "opinion_at",
    "opinion_by_id", "created_at", "updated_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "message_id", "customer_id", "recipient_name", "address", "channel", "language",
    "template", "subject", "body", "status", "attempts", "max_attempts", "last_error", "sent_at",
    "related_type_id", "related_id", "created_at", "updated_at", "handled_at",
)  # fmt: skip


def _notice_format(template: str, lang: str) -> tuple[str, str]:
    """(subject, body) of a notice as ``str.format`` patterns: the real
    template rendered once with markers, so seeded notices read exactly like
    sent ones without rendering a template two million times."""
    keys = ("recipient_name", "title", "reference", "portal_url", *_NOTICE_TEMPLATES[template])
    context = {key: f"\x02{key}\x03" for key in keys}
    for key in ("planned_date", "decide_by"):
        if key in context:
            context[key] = _SENTINEL_DAY
    if "department" in context:
        context["department_en"] = context["department"]
    context.setdefault("note", "")
    context.update(sender=settings.COMPANY_NAME, site_url=settings.SITE_URL)
    parts = render_message(template, lang, context)
    out = []
    for text in parts:
        text = text.replace("{", "{{").replace("}", "}}")
        for key in keys:
            text = text.replace(f"\x02{key}\x03", "{" + key + "}")
        text = text.replace(_date_text(_SENTINEL_DAY, lang), "{decide_by}"
                            if "decide_by" in keys else "{planned_date}")  # fmt: skip
        out.append(text)
    return out[0], out[1]


def _customers(scale: int) -> list[tuple]:
    """The newest ``scale`` customers (the core step's), oldest first, as
    (id, name, language, created timestamp, (notice channel, address))."""
    found = list(
        Customer.objects.order_by("-pk").values_list(
            "pk", "name", "preferred_language", "created_at"
        )[:scale]
    )
    found.reverse()
    if not found:
        raise RuntimeError("Seed customers first: the proposals step needs them.")
    reach: dict[int, dict] = {}
    contacts = (
        ContactPoint.objects.filter(customer_id__gte=found[0][0])
        .order_by("pk")
        .values_list("customer_id", "kind", "value")
    )
    for customer_id, kind, value in contacts.iterator(chunk_size=20000):
        if value:
            reach.setdefault(customer_id, {}).setdefault(kind, value)
    out = []
    for pk, name, lang, created in found:
        known = reach.get(pk, {})
        # The channel notify() would choose (notifications/services.py).
        if known.get("email"):
            how = ("email", known["email"])
        elif known.get("postal"):
            how = ("letter", known["postal"])
        elif known.get("phone"):
            how = ("call", known["phone"])
        else:
            how = (None, "")
        out.append((pk, name, lang, created.timestamp(), how))
    return out


def _staff(*roles) -> list:
    users = get_user_model().objects.filter(groups__name__in=roles)
    seeded = list(
        users.filter(profile__employee_no__startswith=EMPLOYEE_PREFIX)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    return seeded or list(users.values_list("pk", flat=True).distinct().order_by("pk")) or [None]


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
        return (cursor.fetchone()[0] or 0) + 1


def _put(model, columns: tuple, rows: list[tuple]) -> None:
    """Insert ready tuples; every other column takes its field's default."""
    if not rows:
        return
    rest = [f for f in model._meta.concrete_fields if f.attname not in columns]
    constants = []
    for field in rest:
        if field.has_default():
            value = field.get_default()
            constants.append(json.dumps(value) if isinstance(value, dict | list) else value)
        elif field.null:
            constants.append(None)
        elif field.get_internal_type() in ("CharField", "TextField"):
            constants.append("")
        else:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value")
    constants = tuple(constants)
    if constants:
        rows = [row + constants for row in rows]
    names = [model._meta.get_field(c).column if c != "id" else "id" for c in columns]
    names += [f.column for f in rest]
    write_rows(model._meta.db_table, names, rows)


def _add_tally(changes: Counter) -> None:
    """The summary counters for this batch, added in its transaction (shard 0)."""
    changes = {k: v for k, v in changes.items() if v}
    if not changes:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO proposals_tally (key, shard, count) VALUES (%s, %s, %s) "
            "ON CONFLICT (key, shard) DO UPDATE SET count = proposals_tally.count + excluded.count",
            [(key, 0, changes[key]) for key in sorted(changes)],
        )


def _reset_sequences(*models) -> None:
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
