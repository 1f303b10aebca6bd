"""The one workflow engine (STYLE rule 2), for every record that moves
through steps: proposals, reward evaluations, outbox messages, policy
versions, and the inspections and quality forms to come.

A domain app describes its workflow once, as data:

    PROPOSAL_FLOW = Workflow(
        model=Proposal, table=TRANSITIONS, label=_("proposal"),
        record_event=_proposal_event, before_commit=_count, ...)

and every change of status goes through it:

    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)   # row lock + stale check
    proposal.planned_date = ...
    PROPOSAL_FLOW.move(proposal, Status.ADOPTED, by=user, fields={"planned_date"})

``move`` checks the table and who may make the move, saves, writes the
append-only event row (old, new, by, at, note, data) and runs the app's hooks:
``before_commit`` inside the transaction (counters), ``after_commit`` once the
transaction has committed (notices, tasks). A forbidden move is always
``transition_forbidden``; a stale ``seen_version`` is always ``stale_version``.

Models that hold a workflow's status inherit ``WorkflowModel``: a save or a
queryset update that changes the status outside the engine is refused, so the
table cannot be bypassed by accident.

Also here, so the next modules build none of their own:
- ``SignOff``: a step that waits on several signers; each signs or returns it,
  and a return voids every signature given in that round (Q10 countersigning,
  the inspectors' confirmation).
- ``DistinctActors``: a guard that reads the record's history, so nobody acts
  in two roles on one record, delegates counted as the people they act for.
- ``Deadline``: how long a record may stay in a state, from a policy key, with
  one reminder-and-escalation task (``workflow_deadlines``) serving every
  registered workflow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ConflictError, DomainError, required
from aftersales.core.models import DeadlineNotice, Signature, WorkflowEvent, engine_writing

FORBIDDEN = "transition_forbidden"
STALE = "stale_version"
NOT_PERMITTED = "forbidden"  # the API's one code for 403
TWO_ROLES = "two_roles"


def about(record) -> dict:
    """The fields of an AboutRecord row that name ``record``."""
    return {"content_type": ContentType.objects.get_for_model(type(record)), "object_id": record.pk}


def generic_event(obj, *, old, new, by, at, note, data) -> None:
    WorkflowEvent.objects.create(
        **about(obj),
        old_status=old,
        new_status=new,
        by=by,
        at=at,
        note=note or "",
        data=data or {},
    )


@dataclass(frozen=True)
class Workflow:
    """One model's workflow: its table and what happens around a move.

    ``may(user, record, new)`` says who may make a move (None: the caller
    checks, as for moves only the system makes); ``guards`` are further
    checks ``guard(user, record, new)`` that raise ``DomainError`` (history
    rules such as ``DistinctActors``). ``record_event(record, old=, new=, by=,
    at=, note=, data=)`` writes the app's event row. ``before_commit(record,
    old, new)`` runs in the transaction; ``after_commit(record_id, old, new)``
    after it commits.
    """

    model: type
    table: dict
    label: object
    record_event: Callable = generic_event
    may: Callable | None = None
    guards: tuple = ()
    before_commit: Callable | None = None
    after_commit: Callable | None = None
    status_field: str = "status"
    deadlines: tuple = ()
    denied: Callable | None = None  # new status -> the refusal's message, when ``may`` says no
    lock_related: tuple = ()  # relations loaded with the locked row
    describe: Callable = str  # how a refusal names the record, e.g. by its reference
    register: bool = True  # served by workflow_deadlines; tests build unregistered ones

    def __post_init__(self):
        if self.register:
            _REGISTRY.append(self)

    # --- reading -----------------------------------------------------------

    def status_of(self, record) -> str:
        return getattr(record, self.status_field)

    def can_move(self, record, new: str) -> bool:
        return new in self.table.get(self.status_of(record), ())

    def may_move(self, user, record, new: str) -> bool:
        """What a page asks before it offers a move: the table, who may, and
        the guards — exactly what ``move`` will check."""
        if not self.can_move(record, new):
            return False
        if self.may is not None and not self.may(user, record, new):
            return False
        try:
            for guard in self.guards:
                guard(user, record, new)
        except DomainError:
            return False
        return True

    def label_of(self, status: str) -> str:
        field_ = self.model._meta.get_field(self.status_field)
        return str(dict(field_.flatchoices).get(status, status))

    def forbidden(self, old: str, new: str) -> DomainError | None:
        """The one refusal of a move the table does not have, or None."""
        if new in self.table.get(old, ()):
            return None
        return DomainError(
            FORBIDDEN,
            _("A %(record)s that is “%(old)s” cannot become “%(new)s”.")
            % {"record": self.label, "old": self.label_of(old), "new": self.label_of(new)},
            status=409,
        )

    # --- writing -----------------------------------------------------------

    def lock(self, record, seen_version: int | None = None):
        """The record's row, locked for this transaction, as it is now.
        ``seen_version`` None means the caller is the system (a task), which
        acts on whatever is current."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("Workflow.lock needs a transaction (@transaction.atomic).")
        rows = self.model.objects.select_for_update()
        if self.lock_related:
            rows = rows.select_related(*self.lock_related)
        current = rows.get(pk=record.pk)
        if seen_version is not None and current.version != seen_version:
            raise ConflictError(
                STALE,
                _(
                    "This %(record)s (%(name)s) was changed by someone else while you were "
                    "looking at it. Nothing was saved; reload it to see the change, then try again."
                )
                % {"record": self.label, "name": self.describe(current)},
            )
        return current

    def require_state(self, record, states, *, doing) -> None:
        """Refuse an action that is not a move (editing a draft, writing an
        opinion) unless the record is in one of ``states``: the same code as
        a forbidden move."""
        old = self.status_of(record)
        if old not in states:
            raise DomainError(
                FORBIDDEN,
                _("A %(record)s that is “%(old)s” cannot be %(doing)s.")
                % {"record": self.label, "old": self.label_of(old), "doing": doing},
                status=409,
            )

    def check(self, user, record, new: str) -> None:
        """Refuse a move the roles, the table or the guards do not allow —
        in that order, so a person who may not act learns nothing of the
        record's state."""
        if self.may is not None and user is not None and not self.may(user, record, new):
            message = self.denied(new) if self.denied else _("You may not take this step.")
            raise DomainError(NOT_PERMITTED, message, status=403)
        refused = self.forbidden(self.status_of(record), new)
        if refused is not None:
            raise refused
        for guard in self.guards:
            guard(user, record, new)

    def move(
        self,
        record,
        new: str,
        *,
        by,
        note: str = "",
        fields: Iterable[str] = (),
        data: dict | None = None,
        at: datetime | None = None,
    ):
        """Move a record locked by ``lock`` to ``new``, saving ``fields`` with
        it; ``by`` None is the system."""
        self.check(by, record, new)
        old = self.status_of(record)
        at = at or timezone.now()
        setattr(record, self.status_field, new)
        with engine_writing():
            record.save(update_fields={self.status_field, *fields})
        self.record_event(record, old=old, new=new, by=by, at=at, note=note, data=data or {})
        self._hooks(record.pk, record, old, new)
        return record

    def move_where(
        self,
        condition: Q,
        old: str | Iterable[str],
        new: str,
        *,
        at: datetime | None = None,
        values: dict | None = None,
    ) -> int:
        """A move as one conditional UPDATE: the rows matching ``condition``
        that are still in ``old`` (a state or several) become ``new``. Of two
        writers the database lets exactly one change a row, on SQLite (where
        select_for_update does nothing) as on PostgreSQL: how the outbox
        claims a message. Returns how many rows moved; the caller then
        ``log``s the move for the row it moved."""
        olds = (old,) if isinstance(old, str) else tuple(old)
        for state in olds:
            refused = self.forbidden(state, new)
            if refused is not None:
                raise refused
        with engine_writing():
            return self.model.objects.filter(
                condition, **{f"{self.status_field}__in": olds}
            ).update(
                **{self.status_field: new},
                version=F("version") + 1,
                updated_at=at or timezone.now(),
                **(values or {}),
            )

    def log(self, record, *, old: str, new: str, by=None, at=None, note: str = "", data=None):
        """The event row and hooks of a move made by ``move_where``."""
        self.record_event(
            record, old=old, new=new, by=by, at=at or timezone.now(), note=note, data=data or {}
        )
        self._hooks(record.pk, record, old, new)

    def _hooks(self, pk, record, old, new) -> None:
        if self.before_commit:
            self.before_commit(record, old, new)
        if self.after_commit:
            after = self.after_commit
            transaction.on_commit(lambda: after(pk, old, new), robust=True)


_REGISTRY: list[Workflow] = []


def workflows() -> list[Workflow]:
    return list(_REGISTRY)


# --- several signers -------------------------------------------------------


@dataclass(frozen=True)
class SignOff:
    """A step that waits on several signers (``slots(record)`` names them,
    e.g. one per department). Each signs or returns it, in any order; when
    every slot has signed in the current round the record moves to ``done``;
    a return moves it to ``returned_to`` and voids the round's signatures.
    ``may_sign(user, record, slot)`` says who may answer for a slot."""

    workflow: Workflow
    state: str
    step: str
    done: str
    returned_to: str
    slots: Callable
    may_sign: Callable

    def _rows(self, record):
        return Signature.objects.filter(**about(record), step=self.step)

    def round(self, record) -> int:
        return self._rows(record).filter(kind=Signature.Kind.RETURNED).count() + 1

    def signatures(self, record) -> dict[str, Signature]:
        """The current round's signatures, by slot."""
        rows = self._rows(record).filter(round=self.round(record), kind=Signature.Kind.SIGNED)
        return {row.slot: row for row in rows.select_related("signer")}

    def open_slots(self, user, record) -> list[str]:
        """The slots ``user`` may answer for now."""
        if self.workflow.status_of(record) != self.state:
            return []
        signed = self.signatures(record)
        return [s for s in self.slots(record) if s not in signed and self.may_sign(user, record, s)]

    def _check(self, user, record, slot: str) -> None:
        if self.workflow.status_of(record) != self.state:
            raise DomainError(
                FORBIDDEN,
                _("This %(record)s is not waiting for signatures.")
                % {"record": self.workflow.label},
                status=409,
            )
        if slot not in self.slots(record) or not self.may_sign(user, record, slot):
            raise DomainError(NOT_PERMITTED, _("You may not sign for this."), status=403)
        for guard in self.workflow.guards:
            guard(user, record, self.done)

    def _answer(self, record, *, by, slot: str, kind: str, note: str) -> None:
        """One answer per slot per round, kept as it was given."""
        try:
            with transaction.atomic():
                Signature.objects.create(
                    **about(record),
                    step=self.step,
                    round=self.round(record),
                    slot=slot,
                    kind=kind,
                    signer=by,
                    note=note,
                    at=timezone.now(),
                )
        except IntegrityError:
            raise ConflictError(
                STALE, _("This has already been signed for %(slot)s.") % {"slot": slot}
            ) from None

    def sign(self, record, *, by, slot: str, seen_version: int | None, note: str = ""):
        record = self.workflow.lock(record, seen_version)
        self._check(by, record, slot)
        self._answer(record, by=by, slot=slot, kind=Signature.Kind.SIGNED, note=note)
        record.save(update_fields=[])  # a new version: readers of the old one are stale
        if set(self.slots(record)) <= set(self.signatures(record)):
            self.workflow.move(record, self.done, by=by, data={"step": self.step, "signed": slot})
        return record

    def give_back(self, record, *, by, slot: str, seen_version: int | None, note: str):
        """Return the record with a comment: back to ``returned_to``, and the
        round's signatures are void."""
        note = required(
            note, field="note", code="note_required", message=_("Say why it goes back.")
        )
        record = self.workflow.lock(record, seen_version)
        self._check(by, record, slot)
        self._answer(record, by=by, slot=slot, kind=Signature.Kind.RETURNED, note=note)
        return self.workflow.move(
            record, self.returned_to, by=by, note=note, data={"step": self.step, "returned": slot}
        )


# --- guards that read the record's history ----------------------------------


def acting_for(user) -> set[int]:
    """The people ``user`` stands for today: themselves and everyone who
    delegated a role to them (accounts.Delegation)."""
    from aftersales.accounts.models import Delegation

    people = {user.pk}
    people.update(
        Delegation.objects.active().filter(delegate=user).values_list("delegator_id", flat=True)
    )
    return people


@dataclass(frozen=True)
class DistinctActors:
    """Nobody acts in two roles on one record. ``roles`` maps a role name to
    the target states whose moves act in it (e.g. handler: {"instructed"},
    reviewer: {"closed"}); ``history(record)`` yields ``(role, user_id)`` for
    everything already done, read from the record's events and signatures.
    A delegate counts as the people they act for, both ways."""

    roles: dict
    history: Callable

    def role_of(self, new: str) -> str | None:
        for role, states in self.roles.items():
            if new in states:
                return role
        return None

    def __call__(self, user, record, new: str) -> None:
        role = self.role_of(new)
        if user is None or role is None:
            return
        me = acting_for(user)
        for other_role, user_id in self.history(record):
            if other_role != role and user_id is not None and user_id in me:
                raise DomainError(
                    TWO_ROLES,
                    _(
                        "You already acted on this record as %(role)s; someone else must do this step."
                    )
                    % {"role": other_role},
                    status=403,
                )


# --- deadlines --------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A record may stay in ``state`` for ``policy_key`` hours (policy in
    force when it entered the state). ``remind`` is called once, ``lead``
    hours before the time; ``escalate`` once, after it."""

    state: str
    policy_key: str
    entered_at: Callable  # queryset -> annotated with ``entered_at``
    remind: Callable | None = None
    escalate: Callable | None = None
    lead_key: str | None = None


# Deadline sources outside any one Workflow's states (proposals' study due
# dates, reserves): callables taking ``today``, run by the same task.
_SOURCES: list[Callable] = []


def deadline_source(func: Callable) -> Callable:
    # AppConfig.ready() may run more than once under some test runners.
    if func not in _SOURCES:
        _SOURCES.append(func)
    return func


def _claim(record, state: str, entered_at, kind: str, now) -> bool:
    try:
        with transaction.atomic():
            DeadlineNotice.objects.create(
                **about(record),
                state=state,
                entered_at=entered_at,
                kind=kind,
                at=now,
            )
    except IntegrityError:
        return False
    return True


def workflow_deadlines(*, now: datetime | None = None, flows=None) -> dict[str, int]:
    """The one reminder-and-escalation pass over every workflow: for each
    deadline, records past their time are escalated once, records within
    the lead time reminded once. Safe to run twice or in two workers."""
    from aftersales.policy.services import policy_in_force

    now = now or timezone.now()
    counts: dict[str, int] = {}
    policy = policy_in_force(timezone.localdate(now))
    for flow in workflows() if flows is None else flows:
        for deadline in flow.deadlines:
            hours = timedelta(hours=float(policy.value(deadline.policy_key)))
            lead = (
                timedelta(hours=float(policy.value(deadline.lead_key)))
                if deadline.lead_key
                else None
            )
            rows = deadline.entered_at(
                flow.model.objects.filter(**{flow.status_field: deadline.state})
            )
            horizon = now - hours + (lead or timedelta(0))
            for record in rows.filter(entered_at__lte=horizon).order_by("pk")[:500]:
                late = record.entered_at + hours <= now
                kind = "escalate" if late else "remind"
                action = deadline.escalate if late else deadline.remind
                if action and _claim(record, deadline.state, record.entered_at, kind, now):
                    action(record)
                    key = f"{flow.model._meta.label_lower}:{deadline.state}:{kind}"
                    counts[key] = counts.get(key, 0) + 1
    for source in _SOURCES if flows is None else ():
        for key, n in (source(today=timezone.localdate(now)) or {}).items():
            counts[key] = counts.get(key, 0) + n
    return counts
