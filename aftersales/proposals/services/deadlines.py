"""P5 / P7 / P9: reminders before due dates and escalation after them, each
once; run by the engine's one deadline task (core.workflow)."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.selectors import users_with_role
from aftersales.core.roles import Role
from aftersales.policy.services import policy_in_force
from aftersales.proposals.models import (
    Proposal,
    ProposalEvent,
    Status,
    StudyRequest,
)
from aftersales.proposals.services.common import _event, _staff_notice, local_today

# --- reminders and escalation (tasks call these) ----------------------------


def _cs_managers():
    return list(users_with_role(Role.CS_MANAGER))


def _aftersales_managers():
    return list(users_with_role(Role.AFTERSALES_MANAGER))


def _claim_once(model, pk: int, field: str) -> bool:
    """Stamp ``field`` with now if it is still empty; True for the one caller
    that did, so a reminder or an escalation goes out once however many
    workers run the job."""
    return bool(
        model.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: timezone.now()})
    )


def _once(row, claim_field, proposal, template, recipients, context, kind, note, **data) -> int:
    """One reminder or escalation for ``row``, claimed by setting
    ``claim_field`` (never twice, even from two workers): the colleagues'
    notice and the timeline's event, in one transaction. 1 if sent."""
    with transaction.atomic():
        if not _claim_once(type(row), row.pk, claim_field):
            return 0
        _staff_notice(template, proposal, recipients(), context)
        _event(proposal, kind, note=note, **data)
        return 1


def remind_and_escalate(*, today: date | None = None) -> dict[str, int]:
    """P5 / P9 / P7: remind before due dates and escalate after them, each
    once. Safe to run any number of times; each row is handled in its own
    transaction, so one failure never stops the rest."""
    today = today or local_today()
    done = {"study_reminders": 0, "study_escalations": 0, "reserve_reminders": 0}
    done |= {"reserve_escalations": 0, "implementation_reminders": 0}
    policy = policy_in_force(today)

    from datetime import timedelta

    def days(key):
        return timedelta(days=int(policy.value(key)))

    open_studies = StudyRequest.objects.filter(
        opinion_at__isnull=True, proposal__status=Status.UNDER_STUDY
    ).select_related("proposal", "department__manager")
    for study in open_studies.filter(
        reminded_at__isnull=True, due_date__lte=today + days("study_reminder_days_before")
    ):
        done["study_reminders"] += _once(
            study,
            "reminded_at",
            study.proposal,
            "proposals/study_reminder",
            lambda study=study: [study.department.manager],
            {"department": str(study.department), "due_date": study.due_date},
            ProposalEvent.Kind.REMINDER,
            str(study.department),
            department=study.department_id,
        )
    for study in open_studies.filter(
        escalated_at__isnull=True, due_date__lte=today - days("study_escalation_days_after")
    ):
        done["study_escalations"] += _once(
            study,
            "escalated_at",
            study.proposal,
            "proposals/study_escalated",
            _cs_managers,
            {"department": str(study.department), "due_date": study.due_date},
            ProposalEvent.Kind.ESCALATION,
            str(study.department),
            department=study.department_id,
        )

    reserved = Proposal.objects.filter(status=Status.RESERVED)
    for proposal in reserved.filter(
        reserve_reminded_at__isnull=True,
        decide_by__lte=today + days("reserve_reminder_days_before"),
    ):
        done["reserve_reminders"] += _once(
            proposal,
            "reserve_reminded_at",
            proposal,
            "proposals/reserve_reminder",
            _cs_managers,
            {"decide_by": proposal.decide_by},
            ProposalEvent.Kind.REMINDER,
            _("Reserve decide-by date"),
        )
    for proposal in reserved.filter(
        reserve_escalated_at__isnull=True,
        decide_by__lte=today - days("reserve_escalation_days_after"),
    ):
        done["reserve_escalations"] += _once(
            proposal,
            "reserve_escalated_at",
            proposal,
            "proposals/reserve_escalated",
            lambda: _aftersales_managers() + _cs_managers(),
            {"decide_by": proposal.decide_by},
            ProposalEvent.Kind.ESCALATION,
            _("Reserve past its date"),
        )

    for proposal in Proposal.objects.filter(
        status=Status.ADOPTED,
        implementation_reminded_at__isnull=True,
        planned_implementation_date__lte=today + days("implementation_reminder_days_before"),
    ).select_related("implementing_department__manager"):
        done["implementation_reminders"] += _once(
            proposal,
            "implementation_reminded_at",
            proposal,
            "proposals/implementation_reminder",
            lambda proposal=proposal: [proposal.implementing_department.manager],
            {"planned_date": proposal.planned_implementation_date},
            ProposalEvent.Kind.REMINDER,
            _("Planned implementation"),
        )
    done["notice_escalations"] = _escalate_late_notices(days("notice_due_days"))
    return done


# The notices that tell a customer a decision (P7, P8, P9).
DECISION_TEMPLATES = (
    "proposals/proposal_adopted",
    "proposals/proposal_not_adopted",
    "proposals/proposal_reserved",
    "proposals/proposal_reserve_extended",
    "proposals/proposal_implemented",
)


def _escalate_late_notices(due, *, batch: int = 500) -> int:
    """P7 / P8 / P9: the customer is told promptly. A decision notice not
    delivered ``notice_due_days`` after it was written (email failing, a letter
    not printed, a call not made) is escalated to the customer service
    managers, once per notice."""
    from django.contrib.contenttypes.models import ContentType

    from aftersales.notifications.models import Message
    from aftersales.notifications.models import Status as MessageStatus

    late = Message.objects.filter(
        related_type=ContentType.objects.get_for_model(Proposal),
        template__in=DECISION_TEMPLATES,
        status__in=[
            MessageStatus.QUEUED,
            MessageStatus.SENDING,
            MessageStatus.FAILED,
            MessageStatus.TO_PRINT,
            MessageStatus.TO_CALL,
        ],
        created_at__lte=timezone.now() - due,
    ).order_by("pk")[:batch]
    count = 0
    for message in late:
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=message.related_id)
            if ProposalEvent.objects.filter(
                proposal=proposal, kind=ProposalEvent.Kind.ESCALATION, data__message=message.pk
            ).exists():
                continue
            _staff_notice(
                "proposals/notice_late",
                proposal,
                _cs_managers(),
                {"subject": message.subject, "status": message.get_status_display()},
            )
            _event(
                proposal,
                ProposalEvent.Kind.ESCALATION,
                note=_("The customer has not been told yet: %(subject)s")
                % {"subject": message.subject},
                message=message.pk,
            )
            count += 1
    return count
