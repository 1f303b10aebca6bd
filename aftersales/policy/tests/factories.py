"""Policy versions for tests.

``approved_version`` writes an approved row directly: the service refuses an
effective date in the past (rightly), yet a test of "which version was in force
on a past date" needs versions that took effect in the past.
"""

from datetime import date, datetime, time

from django.db.models import Max
from django.utils import timezone

from aftersales.policy.models import PolicyVersion
from aftersales.policy.registry import KEYS, defaults


def policy_values(**overrides) -> dict:
    """Every key at its default, with ``overrides`` applied (a full, valid set)."""
    return defaults() | overrides


def approved_version(
    effective_from: date, *, approved_by=None, note: str = "test version", **overrides
) -> PolicyVersion:
    number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    return PolicyVersion.objects.create(
        number=number,
        status=PolicyVersion.Status.APPROVED,
        values=policy_values(**overrides),
        note=note,
        effective_from=effective_from,
        approved_by=approved_by,
        approved_at=timezone.make_aware(datetime.combine(effective_from, time(9, 0))),
    )


def move_version_one_to(day: date) -> PolicyVersion:
    """Pretend the product was installed on ``day`` (set-up only)."""
    PolicyVersion.objects.filter(number=1).update(effective_from=day)
    return PolicyVersion.objects.get(number=1)


def form_data(values: dict, note: str = "Shorter reserve", seen_version=None) -> dict:
    """What the edit page's form posts for ``values``."""
    data = {"note": note}
    if seen_version is not None:
        data["seen_version"] = str(seen_version)
    for name, key in KEYS.items():
        value = values[name]
        if key.kind == "int":
            data[name] = str(value)
        elif key.kind == "weights":
            for criterion, weight in value.items():
                data[f"{name}__{criterion}"] = str(weight)
        elif key.kind == "grades":
            data[name] = "\n".join(
                f"{r['grade']} | {r['min_score']} | {r['amount']}" for r in value
            )
    return data
