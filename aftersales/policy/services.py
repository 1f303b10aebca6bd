"""Versioned policy: drafts, approval by the general manager, and the question
every deadline asks — which policy was in force on a date?"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError, required
from aftersales.core.permissions import can
from aftersales.policy.models import POLICY_FLOW, PolicyVersion
from aftersales.policy.registry import KEYS, PolicyValueError, defaults


def policy_in_force(on: date | None = None) -> PolicyVersion:
    """The approved version in force on ``on`` (today by default): the one with
    the latest effective date on or before it; of two with the same date, the
    later approved."""
    on = on or timezone.localdate()
    version = (
        PolicyVersion.objects.filter(status=PolicyVersion.Status.APPROVED, effective_from__lte=on)
        .order_by("-effective_from", "-approved_at", "-number")
        .first()
    )
    if version is None:
        raise DomainError("no_policy", _("No policy was in force on %(date)s.") % {"date": on})
    return version


def policy_value(key: str, on: date | None = None):
    return policy_in_force(on).value(key)


def deadline_from(
    start: date, key: str, *, version: PolicyVersion | None = None
) -> tuple[date, PolicyVersion]:
    """``start`` plus the number of days ``key`` gives, and the version it came from.

    A record stores the version with the date, so a later change of the policy
    never moves a deadline that was already set (Q3: a change applies from its
    effective date on); pass that stored ``version`` to compute it again.
    """
    version = version or policy_in_force(start)
    return start + timedelta(days=int(version.value(key))), version


def clean_values(values: dict) -> dict:
    """All keys present and valid, or DomainError naming each bad key."""
    cleaned, errors = {}, {}
    for name, key in KEYS.items():
        if name not in values:
            errors[name] = _("Required.")
            continue
        try:
            cleaned[name] = key.clean(values[name])
        except PolicyValueError as exc:
            errors[name] = str(exc)
    unknown = set(values) - set(KEYS)
    for name in unknown:
        errors[name] = _("Unknown setting.")
    if errors:
        raise DomainError("invalid_policy", _("Some values are not valid."), fields=errors)
    return cleaned


@transaction.atomic
def policy_install_defaults(on: date | None = None) -> PolicyVersion:
    """Version 1: the regulation's defaults, recorded as approved at installation."""
    existing = PolicyVersion.objects.filter(number=1).first()
    if existing:
        return existing
    now = timezone.now()
    return PolicyVersion.objects.create(
        number=1,
        status=PolicyVersion.Status.APPROVED,
        values=defaults(),
        # Stored once for everyone, so in both languages rather than the installer's.
        note="制度默认值，安装时批准。 / The regulation's defaults, approved at installation.",
        effective_from=on or timezone.localdate(),
        approved_at=now,
        installed=True,
    )


def _require_change(by) -> None:
    if not can(by, "policy.change_policyversion"):
        raise DomainError("forbidden", _("You do not have permission to do this."), status=403)


@transaction.atomic
def policy_draft_create(*, by, note: str = "") -> PolicyVersion:
    """A new draft starting from the policy in force today."""
    _require_change(by)
    if PolicyVersion.objects.filter(status=PolicyVersion.Status.DRAFT).exists():
        raise DomainError(
            "draft_exists", _("A draft already exists; edit it or withdraw it first."), status=409
        )
    base = policy_in_force()
    number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    values = {name: base.value(name) for name in KEYS}
    return PolicyVersion.objects.create(
        number=number, values=values, based_on=base, created_by=by, note=note
    )


@transaction.atomic
def policy_draft_update(
    *, version: PolicyVersion, by, values: dict, note: str, seen_version: int | None = None
) -> PolicyVersion:
    _require_change(by)
    version = POLICY_FLOW.lock(version, seen_version)
    POLICY_FLOW.require_state(version, {PolicyVersion.Status.DRAFT}, doing=_("changed"))
    # Q3 / Q14: an amendment is approved for a stated reason; the draft carries it.
    note = required(note, field="note", code="note_required", message=_("Give a reason."))
    version.values = clean_values(values)
    version.note = note
    version.save()
    return version


@transaction.atomic
def policy_approve(
    *, version: PolicyVersion, by, effective_from: date, seen_version: int | None = None
) -> PolicyVersion:
    """Q3 / Q14 / I3: the general manager approves; it takes effect from a date."""
    version = POLICY_FLOW.lock(version, seen_version)
    POLICY_FLOW.check(by, version, PolicyVersion.Status.APPROVED)
    if effective_from < timezone.localdate():
        raise DomainError(
            "effective_in_past",
            _("A policy cannot take effect in the past."),
            fields={"effective_from": _("Today or later.")},
        )
    if not version.note.strip():
        raise DomainError(
            "note_required", _("The draft needs a reason for the change before approval.")
        )
    clean_values(version.values)
    version.effective_from = effective_from
    version.approved_by = by
    version.approved_at = timezone.now()
    return POLICY_FLOW.move(
        version,
        PolicyVersion.Status.APPROVED,
        by=by,
        fields={"effective_from", "approved_by", "approved_at"},
        data={"effective_from": effective_from.isoformat()},
    )


@transaction.atomic
def policy_withdraw(
    *, version: PolicyVersion, by, seen_version: int | None = None
) -> PolicyVersion:
    _require_change(by)
    version = POLICY_FLOW.lock(version, seen_version)
    return POLICY_FLOW.move(version, PolicyVersion.Status.WITHDRAWN, by=by)
