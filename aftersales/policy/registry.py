"""The regulation's numbers, each a policy key with a default.

Where regulation.md leaves a number to the company (`x`), or a rule needs a
number to work (a reminder lead time, a rate limit), it is a key here, never a
constant in code. Later issues add their keys with ``register``.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _


class PolicyValueError(ValueError):
    """A value a key refuses; the message is shown to the person editing."""


@dataclass(frozen=True)
class Key:
    name: str
    default: object
    label: str
    article: str
    kind: str = "int"  # int | weights | grades
    minimum: int | None = 0
    maximum: int | None = None
    unit: str = ""
    help: str = ""
    group: str = field(default="proposals")

    def clean(self, value):
        return CLEANERS[self.kind](self, value)


def _clean_int(key: Key, value) -> int:
    if isinstance(value, bool):
        raise PolicyValueError(_("Enter a whole number."))
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise PolicyValueError(_("Enter a whole number.")) from None
    if key.minimum is not None and number < key.minimum:
        raise PolicyValueError(_("Must be at least %(min)s.") % {"min": key.minimum})
    if key.maximum is not None and number > key.maximum:
        raise PolicyValueError(_("Must be at most %(max)s.") % {"max": key.maximum})
    return number


def _decimal(value) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise PolicyValueError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not number.is_finite():
        raise PolicyValueError(_("“%(value)s” is not a number.") % {"value": value})
    return number


def _clean_weights(key: Key, value) -> dict:
    """P11: criterion -> weight; every criterion present, weights >= 0, summing to 1."""
    if not isinstance(value, dict) or set(value) != set(key.default):
        raise PolicyValueError(
            _("Give a weight for each criterion: %(names)s.") % {"names": ", ".join(key.default)}
        )
    weights = {name: _decimal(value[name]) for name in key.default}
    if any(w < 0 for w in weights.values()):
        raise PolicyValueError(_("Weights cannot be negative."))
    if sum(weights.values()) != 1:
        raise PolicyValueError(
            _("The weights must add up to 1 (they add up to %(sum)s).")
            % {"sum": sum(weights.values())}
        )
    return {name: str(w) for name, w in weights.items()}


def _clean_grades(key: Key, value) -> list:
    """P11: rows of grade, minimum score and reward, from the best grade down."""
    if not isinstance(value, list) or not value:
        raise PolicyValueError(_("The grade table cannot be empty."))
    rows, seen = [], set()
    for row in value:
        if not isinstance(row, dict):
            raise PolicyValueError(_("Each grade needs a name, a minimum score and a reward."))
        grade = str(row.get("grade", "")).strip()
        if not grade or grade in seen:
            raise PolicyValueError(_("Each grade needs a name of its own."))
        seen.add(grade)
        min_score, amount = _decimal(row.get("min_score")), _decimal(row.get("amount"))
        if min_score < 0 or amount < 0:
            raise PolicyValueError(_("Scores and rewards cannot be negative."))
        rows.append({"grade": grade, "min_score": min_score, "amount": amount})
    for higher, lower in zip(rows, rows[1:], strict=False):
        if not (higher["min_score"] > lower["min_score"] and higher["amount"] >= lower["amount"]):
            raise PolicyValueError(
                _(
                    "List grades from best to worst: each minimum score lower, each reward no higher than the one above."
                )
            )
    return [
        {"grade": r["grade"], "min_score": str(r["min_score"]), "amount": str(r["amount"])}
        for r in rows
    ]


CLEANERS = {"int": _clean_int, "weights": _clean_weights, "grades": _clean_grades}

KEYS: dict[str, Key] = {}


def register(*keys: Key) -> None:
    for key in keys:
        if key.name in KEYS:
            raise RuntimeError(f"policy key {key.name} registered twice")
        key.clean(key.default)  # a default that fails its own rule is a bug
        KEYS[key.name] = key


def defaults() -> dict:
    return {name: key.clean(key.default) for name, key in KEYS.items()}


DAY = _("days")
# P11: the criteria the evaluation committee scores.
CRITERIA_LABELS = {
    "creativity": _("creativity"),
    "feasibility": _("feasibility"),
    "benefit": _("overall benefit"),
}

register(
    # P9: a reserved proposal is decided within normally two months.
    Key(
        "reserve_max_days", 60, _("Longest reserve period"), "P9", minimum=1, maximum=366, unit=DAY
    ),
    Key(
        "reserve_reminder_days_before",
        7,
        _("Remind before a reserve's decide-by date"),
        "P9",
        unit=DAY,
        maximum=60,
    ),
    Key(
        "reserve_escalation_days_after",
        1,
        _("Escalate after a reserve's decide-by date"),
        "P9",
        unit=DAY,
        maximum=60,
    ),
    # P5: study by the relevant departments.
    Key(
        "study_due_days",
        14,
        _("Time a department has for its study opinion"),
        "P5",
        minimum=1,
        maximum=180,
        unit=DAY,
    ),
    Key(
        "study_reminder_days_before",
        2,
        _("Remind before a study is due"),
        "P5",
        unit=DAY,
        maximum=60,
    ),
    Key(
        "study_escalation_days_after",
        1,
        _("Escalate after a study is overdue"),
        "P5",
        unit=DAY,
        maximum=60,
    ),
    # P7 / P8 / P9: the customer is told promptly.
    Key(
        "notice_due_days",
        3,
        _("Time to notify the customer of a decision"),
        "P7",
        minimum=1,
        maximum=30,
        unit=DAY,
    ),
    Key(
        "implementation_reminder_days_before",
        3,
        _("Remind before a planned implementation date"),
        "P7",
        unit=DAY,
        maximum=60,
    ),
    # P11: scoring by the evaluation committee.
    Key(
        "reward_score_max",
        10,
        _("Highest score a committee member can give"),
        "P11",
        minimum=1,
        maximum=100,
    ),
    Key(
        "reward_weights",
        {"creativity": "0.4", "feasibility": "0.3", "benefit": "0.3"},
        _("Weights of creativity, feasibility and overall benefit"),
        "P11",
        kind="weights",
    ),
    Key(
        "reward_grades",
        [
            {"grade": "A", "min_score": "8.5", "amount": "2000"},
            {"grade": "B", "min_score": "7", "amount": "1000"},
            {"grade": "C", "min_score": "5.5", "amount": "500"},
            {"grade": "D", "min_score": "4", "amount": "200"},
        ],
        _("Grades: minimum weighted score and reward (CNY)"),
        "P11",
        kind="grades",
    ),
    # P12: certificates of appreciation.
    Key(
        "certificate_min_proposals_per_year",
        3,
        _("Proposals in a year that earn a certificate"),
        "P12",
        minimum=1,
        maximum=1000,
    ),
    # P4: intake limits that keep the public form and the mailbox usable.
    Key(
        "ack_max_per_address_per_day",
        5,
        _("Acknowledgements to one address per day"),
        "P4",
        minimum=1,
        maximum=1000,
    ),
    Key(
        "portal_submissions_per_ip_per_hour",
        10,
        _("Web-form proposals from one address per hour"),
        "P4",
        minimum=1,
        maximum=10000,
    ),
    Key(
        "portal_submissions_per_address_per_hour",
        3,
        _("Web-form proposals from one email address or phone number per hour"),
        "P4",
        minimum=1,
        maximum=10000,
    ),
    Key(
        "portal_lookups_per_ip_per_hour",
        30,
        _("Proposal look-ups from one address per hour"),
        "P4",
        minimum=1,
        maximum=10000,
    ),
    Key(
        "attachment_max_mb", 10, _("Largest attachment"), "P4", minimum=1, maximum=100, unit=_("MB")
    ),
    Key(
        "attachment_max_files",
        10,
        _("Most files attached to one proposal"),
        "P4",
        minimum=1,
        maximum=100,
    ),
)
