"""Versioned policy: drafts, approval by the general manager, and the question
every deadline asks — which policy was in force on a date?"""

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.permissions import can
from aftersales.policy.models import PolicyVersion
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
        note=_("The regulation's defaults, approved at installation."),
        effective_from=on or timezone.localdate(),
        approved_at=now,
        installed=True,
    )


@transaction.atomic
def policy_draft_create(*, by, note: str = "") -> PolicyVersion:
    """A new draft starting from the policy in force today."""
    if PolicyVersion.objects.filter(status=PolicyVersion.Status.DRAFT).exists():
        raise DomainError("draft_exists", _("A draft already exists; edit it or withdraw it first."))
    base = policy_in_force()
    number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    values = {name: base.value(name) for name in KEYS}
    return PolicyVersion.objects.create(number=number, values=values, based_on=base, created_by=by, note=note)


@transaction.atomic
def policy_draft_update(*, version: PolicyVersion, by, values: dict, note: str, seen_version: int | None = None) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != PolicyVersion.Status.DRAFT:
        raise DomainError("not_draft", _("Only a draft can be changed; approved versions stay as they were."))
    if seen_version is not None and version.version != seen_version:
        raise ConflictError("changed", _("Someone else changed this draft first; reload and try again."))
    version.values = clean_values(values)
    version.note = note.strip()
    version.save()
    return version


@transaction.atomic
def policy_approve(*, version: PolicyVersion, by, effective_from: date, seen_version: int | None = None) -> PolicyVersion:
    """Q3 / Q14 / I3: the general manager approves; it takes effect from a date."""
    if not can(by, "policy.approve_policyversion"):
        raise DomainError("forbidden", _("Only the general manager can approve the policy."), status=403)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != PolicyVersion.Status.DRAFT:
        raise DomainError("not_draft", _("Only a draft can be approved."))
    if seen_version is not None and version.version != seen_version:
        raise ConflictError("changed", _("The draft changed after you read it; review it again before approving."))
    if effective_from < timezone.localdate():
        raise DomainError(
            "effective_in_past",
            _("A policy cannot take effect in the past."),
            fields={"effective_from": _("Today or later.")},
        )
    if not version.note.strip():
        raise DomainError("note_required", _("The draft needs a reason for the change before approval."))
    clean_values(version.values)
    version.status = PolicyVersion.Status.APPROVED
    version.effective_from = effective_from
    version.approved_by = by
    version.approved_at = timezone.now()
    version.save()
    return version


@transaction.atomic
def policy_withdraw(*, version: PolicyVersion, by) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != PolicyVersion.Status.DRAFT:
        raise DomainError("not_draft", _("Only a draft can be withdrawn."))
    version.status = PolicyVersion.Status.WITHDRAWN
    version.save()
    return version
