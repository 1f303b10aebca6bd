"""API input and output for proposals (P4-P12).

Outputs are schemas read from the rows the selectors or endpoints load with
their relations, so serialising a page adds no queries: a field names the
attribute it reads (``validation_alias``), a part shown only once its step has
happened is a resolver returning the row or None, and where the one asking
matters (P11 scores) a resolver reads ``context["request"]``. Inputs check the
shape; the services check the rules and answer in the one error shape.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from aftersales.core.api import NOT_BLANK, Day, Moment, Number
from aftersales.core.fields import Id, Line, Text
from aftersales.proposals.models import Category, CloseReason, DevelopmentMode
from aftersales.proposals.services import rewards

SEEN_VERSION = _(
    "The proposal's version you read; if someone changed it since, the action answers 409 "
    "and nothing is saved."
)


# A member of staff, read from the user row (its profile joined).
class UserOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(user):
        profile = getattr(user, "profile", None)  # a user without a staff profile has none
        return (profile.display_name if profile else "") or user.get_username()


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
    status_label: str = Field(..., validation_alias="get_status_display")
    channel: str
    language: str
    customer: CustomerBriefOut
    received_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    decide_by: date | None
    planned_implementation_date: date | None
    version: int


class ProposalPage(Schema):
    items: list[ProposalOut]
    next_cursor: str | None = Field(None, description=_("Pass as cursor for the next page."))


# The parts of a proposal's detail below read the proposal row itself, each
# shown only once its step has happened (the detail's resolvers say when).


class AcceptanceOut(Schema):
    accepted_at: datetime
    accepted_by: UserOut | None
    category: str
    summary: str


class ClosureOut(Schema):
    reason: str = Field(..., validation_alias="close_reason")
    note: str = Field(..., validation_alias="close_note")
    duplicate_of: int | None = Field(..., validation_alias="duplicate_of_id")
    duplicate_of_reference: str | None

    @staticmethod
    def resolve_duplicate_of_reference(proposal):
        return proposal.duplicate_of.reference if proposal.duplicate_of_id else None


class StudyOut(Schema):
    id: int
    department: DepartmentOut
    due_date: date
    opinion: str
    opinion_at: datetime | None
    opinion_by: UserOut | None


class DecisionOut(Schema):
    decided_at: datetime
    decided_by: UserOut | None
    note: str = Field(..., validation_alias="decision_note")


class ReserveOut(Schema):
    reason: str = Field(..., validation_alias="reserve_reason")
    reserved_on: date | None
    decide_by: date | None


class ExtensionOut(Schema):
    old_decide_by: date
    new_decide_by: date
    reason: str
    approved_by: UserOut
    approved_at: datetime


class ImplementationOut(Schema):
    department: DepartmentOut | None = Field(..., validation_alias="implementing_department")
    planned_date: date | None = Field(..., validation_alias="planned_implementation_date")
    measures: str = Field(..., validation_alias="improvement_measures")
    implemented_at: datetime | None
    implemented_by: UserOut | None
    note: str = Field(..., validation_alias="implementation_note")


class DevelopmentOut(Schema):
    mode: str = Field(..., validation_alias="development_mode")
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
    kind_label: str = Field(..., validation_alias="get_kind_display")
    old_status: str
    new_status: str
    by: UserOut | None
    note: str
    data: dict


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
    def resolve_acceptance(proposal):
        return proposal if proposal.accepted_at else None

    @staticmethod
    def resolve_closure(proposal):
        return proposal if proposal.close_reason else None

    @staticmethod
    def resolve_decision(proposal):
        return proposal if proposal.decided_at else None

    @staticmethod
    def resolve_reserve(proposal):
        return proposal if proposal.reserved_on else None

    @staticmethod
    def resolve_implementation(proposal):
        started = proposal.implementing_department_id or proposal.implemented_at
        return proposal if started else None

    @staticmethod
    def resolve_development(proposal):
        return proposal if proposal.development_mode else None

    @staticmethod
    def resolve_evaluation(proposal):
        # A reverse one-to-one: None until the evaluation is opened (P11).
        return getattr(proposal, "evaluation", None)

    @staticmethod
    def resolve_notices(proposal):
        # Loaded by the endpoint in one query (Message relates generically).
        return getattr(proposal, "notices", [])


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

    outcome_label: str = Field(..., validation_alias="get_outcome_display")
    source_label: str = Field(..., validation_alias="get_source_display")
    proposal_reference: str | None
    retried_by: UserOut | None
    updated_at: datetime
    attachments: list[AttachmentOut] = Field(
        ..., description=_("The files the mail carried, as attached to its proposal.")
    )

    @staticmethod
    def resolve_proposal_reference(mail):
        return mail.proposal.reference if mail.proposal_id else None


# What a retry made of the mail: intake's IntakeResult.
class InboundRetryOut(Schema):
    outcome: str
    detail: str
    proposal_id: int | None
    mail: InboundMailOut = Field(..., validation_alias="inbound")

    @staticmethod
    def resolve_proposal_id(result):
        return result.proposal.pk if result.proposal else None


# --- P11: rewards ------------------------------------------------------------


def _shown(score, context, name: str):
    """A score's value as the one asking may see it (P11: rewards.score_visible)."""
    if rewards.score_visible(context["request"].auth, score.evaluation, score):
        return getattr(score, name)
    return None


class ScoreOut(Schema):
    member: UserOut
    at: datetime
    # Hidden (null) from other members while scoring runs, so each member
    # scores on their own judgment.
    creativity: Decimal | None
    feasibility: Decimal | None
    benefit: Decimal | None
    note: str | None

    @staticmethod
    def resolve_creativity(score, context):
        return _shown(score, context, "creativity")

    @staticmethod
    def resolve_feasibility(score, context):
        return _shown(score, context, "feasibility")

    @staticmethod
    def resolve_benefit(score, context):
        return _shown(score, context, "benefit")

    @staticmethod
    def resolve_note(score, context):
        return _shown(score, context, "note")


# P11: read from the evaluation the endpoint loads with its policy, members
# and scores; each score as the one asking may see it.
class EvaluationOut(Schema):
    id: int
    proposal_id: int
    proposal_reference: str | None = Field(..., validation_alias="proposal.reference")
    status: str
    policy_number: int = Field(..., validation_alias="policy.number")
    opened_by: UserOut
    opened_at: datetime = Field(..., validation_alias="created_at")
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


class CertificatesIssueIn(Schema):
    year: int = Field(..., ge=2000, le=9999)


class CertificatesIssuedOut(Schema):
    issued: list[CertificateOut]


# --- the summary ------------------------------------------------------------------


class CountOut(Schema):
    code: str
    label: str
    count: int

    @classmethod
    def rows(cls, rows) -> list["CountOut"]:
        return [cls(code=code, label=str(label), count=n) for code, label, n in rows]


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


# Read from the figures selectors.proposal_summary returns.
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
        validation_alias="reserves",
        description=_("Reserved proposals whose decide-by date is near (P9) or past."),
    )

    @staticmethod
    def resolve_by_status(figures):
        return CountOut.rows(figures["by_status"])

    @staticmethod
    def resolve_by_channel(figures):
        return CountOut.rows(figures["by_channel"])

    @staticmethod
    def resolve_by_department(figures):
        pairs = figures["by_department"]
        return [DepartmentCountOut(department=department, count=n) for department, n in pairs]


# --- My work ------------------------------------------------------------------------


class WorkItemOut(Schema):
    label: str
    url: str = Field(..., description=_("The staff page where the work is done."))
    note: str
