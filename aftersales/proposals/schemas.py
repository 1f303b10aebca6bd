"""API input and output for proposals (P4-P12).

Outputs read from rows the selectors or endpoints load with their relations,
so serialising a page adds no queries. Inputs check the shape; the services
check the rules and answer in the one error shape.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from aftersales.core.api import NOT_BLANK, Day, Moment, Number
from aftersales.core.fields import Id, Line, Text
from aftersales.proposals.models import Category, CloseReason, DevelopmentMode

SEEN_VERSION = _(
    "The proposal's version you read; if someone changed it since, the action answers 409 "
    "and nothing is saved."
)


def user_brief(user) -> dict | None:
    if user is None:
        return None
    try:
        name = user.profile.display_name
    except Exception:  # noqa: BLE001 - a user without a staff profile
        name = ""
    return {"id": user.pk, "name": name or user.get_username()}


def _department(department) -> dict | None:
    if department is None:
        return None
    return {"id": department.pk, "name": department.name, "name_en": department.name_en}


class UserOut(Schema):
    id: int
    name: str


class DepartmentOut(Schema):
    id: int
    name: str
    name_en: str


class CustomerBriefOut(Schema):
    id: int
    name: str
    preferred_language: str


# --- reads -----------------------------------------------------------------


class ProposalOut(Schema):
    id: int
    reference: str | None
    title: str
    status: str
    status_label: str
    channel: str
    language: str
    customer: CustomerBriefOut
    received_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    decide_by: date | None
    planned_implementation_date: date | None
    version: int

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class ProposalPage(Schema):
    items: list[ProposalOut]
    next_cursor: str | None = Field(None, description=_("Pass as cursor for the next page."))


class AcceptanceOut(Schema):
    accepted_at: datetime
    accepted_by: UserOut | None
    category: str
    summary: str


class ClosureOut(Schema):
    reason: str
    note: str
    duplicate_of: int | None
    duplicate_of_reference: str | None


class StudyOut(Schema):
    id: int
    department: DepartmentOut
    due_date: date
    opinion: str
    opinion_at: datetime | None
    opinion_by: UserOut | None

    @staticmethod
    def resolve_department(obj):
        return _department(obj.department)

    @staticmethod
    def resolve_opinion_by(obj):
        return user_brief(obj.opinion_by)


class DecisionOut(Schema):
    decided_at: datetime
    decided_by: UserOut | None
    note: str


class ReserveOut(Schema):
    reason: str
    reserved_on: date | None
    decide_by: date | None


class ExtensionOut(Schema):
    old_decide_by: date
    new_decide_by: date
    reason: str
    approved_by: UserOut
    approved_at: datetime

    @staticmethod
    def resolve_approved_by(obj):
        return user_brief(obj.approved_by)


class ImplementationOut(Schema):
    department: DepartmentOut | None
    planned_date: date | None
    measures: str
    implemented_at: datetime | None
    implemented_by: UserOut | None
    note: str


class DevelopmentOut(Schema):
    mode: str
    agreement_reference: str


class AttachmentOut(Schema):
    id: int
    kind: str
    name: str = Field(..., alias="original_name")
    content_type: str
    size: int
    created_at: datetime


class EventOut(Schema):
    at: datetime
    kind: str
    kind_label: str
    old_status: str
    new_status: str
    by: UserOut | None
    note: str
    data: dict

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_by(obj):
        return user_brief(obj.by)


class NoticeOut(Schema):
    id: int
    audience: Literal["customer", "staff"]
    template: str
    channel: str
    recipient_name: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_audience(obj):
        return "customer" if obj.customer_id else "staff"


class EvaluationBriefOut(Schema):
    id: int
    status: str
    grade: str
    amount: Decimal | None


class ProposalDetailOut(ProposalOut):
    content: str
    recorded_by: UserOut | None
    acceptance: AcceptanceOut | None
    closure: ClosureOut | None
    study_requests: list[StudyOut]
    decision: DecisionOut | None
    reserve: ReserveOut | None
    reserve_extensions: list[ExtensionOut]
    implementation: ImplementationOut | None
    development: DevelopmentOut | None
    evaluation: EvaluationBriefOut | None
    attachments: list[AttachmentOut]
    events: list[EventOut]
    notices: list[NoticeOut]

    @staticmethod
    def resolve_recorded_by(obj):
        return user_brief(obj.recorded_by)

    @staticmethod
    def resolve_acceptance(obj):
        if obj.accepted_at is None:
            return None
        return {
            "accepted_at": obj.accepted_at,
            "accepted_by": user_brief(obj.accepted_by),
            "category": obj.category,
            "summary": obj.summary,
        }

    @staticmethod
    def resolve_closure(obj):
        if not obj.close_reason:
            return None
        original = obj.duplicate_of
        return {
            "reason": obj.close_reason,
            "note": obj.close_note,
            "duplicate_of": original.pk if original else None,
            "duplicate_of_reference": original.reference if original else None,
        }

    @staticmethod
    def resolve_study_requests(obj):
        return list(obj.study_requests.all())

    @staticmethod
    def resolve_decision(obj):
        if obj.decided_at is None:
            return None
        return {
            "decided_at": obj.decided_at,
            "decided_by": user_brief(obj.decided_by),
            "note": obj.decision_note,
        }

    @staticmethod
    def resolve_reserve(obj):
        if obj.reserved_on is None:
            return None
        return {
            "reason": obj.reserve_reason,
            "reserved_on": obj.reserved_on,
            "decide_by": obj.decide_by,
        }

    @staticmethod
    def resolve_reserve_extensions(obj):
        return list(obj.reserve_extensions.all())

    @staticmethod
    def resolve_implementation(obj):
        if obj.implementing_department_id is None and obj.implemented_at is None:
            return None
        return {
            "department": _department(obj.implementing_department),
            "planned_date": obj.planned_implementation_date,
            "measures": obj.improvement_measures,
            "implemented_at": obj.implemented_at,
            "implemented_by": user_brief(obj.implemented_by),
            "note": obj.implementation_note,
        }

    @staticmethod
    def resolve_development(obj):
        if not obj.development_mode:
            return None
        return {"mode": obj.development_mode, "agreement_reference": obj.agreement_reference}

    @staticmethod
    def resolve_evaluation(obj):
        try:
            return obj.evaluation
        except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist: none opened yet
            return None

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())

    @staticmethod
    def resolve_notices(obj):
        # Loaded by the endpoint in one query (Message relates generically).
        return getattr(obj, "notices", [])


# --- writes ----------------------------------------------------------------


class NewCustomerIn(Schema):
    name: Line = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    email: Line = Field("", max_length=254)
    phone: Line = Field("", max_length=40)
    postal_address: Text = Field("", max_length=500)
    preferred_language: Line = Field("zh-hans", pattern="^(zh-hans|en)$")


class ProposalIn(Schema):
    """P4: a proposal that came by letter or telephone, recorded by staff."""

    customer_id: Id | None = Field(
        None, description=_("A known customer. Give this or customer, not both.")
    )
    customer: NewCustomerIn | None = Field(
        None,
        description=_(
            "The customer's details; the customer with the same email or phone is used "
            "if there is one, otherwise a new one is recorded."
        ),
    )
    channel: Literal["letter", "phone"]
    received_at: Moment | None = Field(
        None, description=_("The postmark or call date; now if left out.")
    )
    title: Line = Field(..., min_length=1, max_length=300, pattern=NOT_BLANK)
    content: Text = Field(..., min_length=1, max_length=20000, pattern=NOT_BLANK)
    # A Literal, not a pattern: pydantic leaves a pattern on an optional
    # field out of the OpenAPI document.
    language: Literal["zh-hans", "en"] | None = Field(
        None,
        description=_("The proposal's language; the customer's preferred language if left out."),
    )


class VersionIn(Schema):
    seen_version: Id = Field(..., description=SEEN_VERSION)


class AcceptIn(VersionIn):
    category: Literal[tuple(Category.values)] = Field(
        ..., description=_("product, service, process or other")
    )
    summary: Text = Field(..., min_length=1, pattern=NOT_BLANK)


class CloseIn(VersionIn):
    reason: Literal[tuple(CloseReason.values)] = Field(
        ..., description=_("spam, misdirected, duplicate or other")
    )
    note: Text = ""
    duplicate_of: Id | None = Field(
        None, description=_("The id of the proposal this one repeats (reason duplicate).")
    )


class RouteIn(VersionIn):
    departments: list[Id] = Field(
        ..., min_length=1, description=_("Ids of the departments asked to study.")
    )
    due_date: Day | None = Field(
        None, description=_("The study's due date; the policy's study period if left out.")
    )


class OpinionIn(VersionIn):
    opinion: Text = Field(..., min_length=1, pattern=NOT_BLANK)


class AdoptIn(VersionIn):
    implementing_department: Id = Field(..., description=_("Id of the implementing department."))
    planned_date: Day
    measures: Text = Field(
        ...,
        min_length=1,
        pattern=NOT_BLANK,
        description=_("The improvement measures the customer is told."),
    )
    note: Text = ""
    development_mode: Literal["", "company", "joint"] = ""
    agreement_reference: Line = Field("", max_length=100)


class NoteIn(VersionIn):
    note: Text = Field(..., min_length=1, pattern=NOT_BLANK)


class ImplementedIn(VersionIn):
    note: Text = ""


class ReserveIn(VersionIn):
    reason: Text = Field(..., min_length=1, pattern=NOT_BLANK)
    decide_by: Day


class ExtendReserveIn(VersionIn):
    decide_by: Day
    reason: Text = Field(..., min_length=1, pattern=NOT_BLANK)


class DevelopmentIn(VersionIn):
    development_mode: Literal[tuple(DevelopmentMode.values)] = Field(
        ..., description=_("company or joint")
    )
    agreement_reference: Line = Field("", max_length=100)


# --- inbound mail (P4 quarantine) -------------------------------------------


class InboundMailOut(Schema):
    id: int
    message_id: str
    source: str
    size: int
    mail_from: str
    subject: str
    outcome: str
    error: str
    proposal_id: int | None
    created_at: datetime
    retried_at: datetime | None
    version: int


class InboundMailDetailOut(InboundMailOut):
    """P4: one mail as stored, with what it became and the files it carried."""

    outcome_label: str
    source_label: str
    proposal_reference: str | None
    retried_by: UserOut | None
    updated_at: datetime
    attachments: list[AttachmentOut] = Field(
        ..., description=_("The files the mail carried, as attached to its proposal.")
    )

    @staticmethod
    def resolve_outcome_label(obj):
        return str(obj.get_outcome_display())

    @staticmethod
    def resolve_source_label(obj):
        return str(obj.get_source_display())

    @staticmethod
    def resolve_proposal_reference(obj):
        return obj.proposal.reference if obj.proposal_id else None

    @staticmethod
    def resolve_retried_by(obj):
        return user_brief(obj.retried_by)

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class InboundRetryOut(Schema):
    outcome: str
    detail: str
    proposal_id: int | None
    mail: InboundMailOut


# --- P11: rewards ------------------------------------------------------------


class ScoreOut(Schema):
    member: UserOut
    at: datetime
    # Hidden (null) from other members while scoring runs, so each member
    # scores on their own judgment.
    creativity: Decimal | None
    feasibility: Decimal | None
    benefit: Decimal | None
    note: str | None


class EvaluationOut(Schema):
    id: int
    proposal_id: int
    proposal_reference: str | None
    status: str
    policy_number: int
    opened_by: UserOut
    opened_at: datetime
    members: list[UserOut]
    scores: list[ScoreOut]
    closed_early_by: UserOut | None
    closed_early_note: str
    weighted_score: Decimal | None
    grade: str
    amount: Decimal | None
    graded_at: datetime | None
    approved_by: UserOut | None
    approved_at: datetime | None
    paid_by: UserOut | None
    paid_at: datetime | None
    payment_reference: str
    version: int


class EvaluationOpenIn(VersionIn):
    pass


class ScoreIn(Schema):
    creativity: Number = Field(..., description=_("From 0 to the policy's highest score."))
    feasibility: Number
    benefit: Number = Field(..., description=_("Overall benefit."))
    note: Text = ""


class CloseScoringIn(Schema):
    note: Text = Field(
        ...,
        min_length=1,
        pattern=NOT_BLANK,
        description=_("Why scoring closes before every member has scored."),
    )


class EvaluationVersionIn(Schema):
    seen_version: Id = Field(
        ...,
        description=_(
            "The evaluation's version you read; if it changed since, the action answers 409."
        ),
    )


class PayIn(EvaluationVersionIn):
    payment_reference: Line = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)


# --- P12: certificates ----------------------------------------------------------


class CertificateOut(Schema):
    id: int
    number: str
    year: int
    customer: CustomerBriefOut
    proposals_count: int
    language: str
    issued_at: datetime
    issued_by: UserOut | None

    @staticmethod
    def resolve_issued_by(obj):
        return user_brief(obj.issued_by)


class CertificatesIssueIn(Schema):
    year: int = Field(..., ge=2000, le=9999)


class CertificatesIssuedOut(Schema):
    issued: list[CertificateOut]


# --- the summary ------------------------------------------------------------------


class CountOut(Schema):
    code: str
    label: str
    count: int


class DepartmentCountOut(Schema):
    department: DepartmentOut
    count: int


class ReserveDueOut(Schema):
    id: int
    reference: str | None
    title: str
    customer: CustomerBriefOut
    decide_by: date
    days_left: int


class SummaryOut(Schema):
    today: date
    total: int
    by_status: list[CountOut]
    by_channel: list[CountOut]
    by_department: list[DepartmentCountOut]
    decided: int
    adopted: int
    adoption_rate: float | None
    median_days_to_decision: float | None
    decisions_counted: int
    reserve_window_days: int
    reserves_due: list[ReserveDueOut] = Field(
        ...,
        description=_("Reserved proposals whose decide-by date is near (P9) or past."),
    )


# --- My work ------------------------------------------------------------------------


class WorkItemOut(Schema):
    label: str
    url: str = Field(..., description=_("The staff page where the work is done."))
    note: str
