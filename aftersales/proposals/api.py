"""The proposal endpoints under /api/v1/proposals (P4-P12).

Thin, as STYLE rule 1 asks: each endpoint checks the permission, looks up
what the ids name, calls the same service the HTML views call and answers
with the proposal as it is now. The services check again, and every refusal
answers in the one error shape (core.api).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Field as NinjaField
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from aftersales.accounts.models import Department
from aftersales.core.api import ERROR_RESPONSES, CursorPagination, Day
from aftersales.core.bidi import typed_file_name
from aftersales.core.errors import DomainError
from aftersales.core.fields import Id, Line, Year
from aftersales.core.files import protected_download
from aftersales.core.permissions import can, require
from aftersales.customers.models import Customer
from aftersales.notifications.rendering import language_or_default
from aftersales.proposals import certificates, selectors, services
from aftersales.proposals.exports import XLSX, export_response
from aftersales.proposals.filters import ProposalFilterForm
from aftersales.proposals.mail import selectors as mail_selectors
from aftersales.proposals.mail.intake import mail_retry
from aftersales.proposals.models import (
    Attachment,
    Certificate,
    Evaluation,
    InboundMail,
    Proposal,
    Score,
    StudyRequest,
)
from aftersales.proposals.schemas import (
    AcceptIn,
    AdoptIn,
    AttachmentOut,
    CertificateOut,
    CertificatesIssuedOut,
    CertificatesIssueIn,
    CloseIn,
    CloseScoringIn,
    DevelopmentIn,
    EvaluationOpenIn,
    EvaluationOut,
    EvaluationVersionIn,
    ExtendReserveIn,
    ImplementedIn,
    InboundMailDetailOut,
    InboundMailOut,
    InboundRetryOut,
    NoteIn,
    OpinionIn,
    PayIn,
    ProposalDetailOut,
    ProposalIn,
    ProposalPage,
    ReserveIn,
    RouteIn,
    ScoreIn,
    SummaryOut,
    WorkItemOut,
    user_brief,
)
from aftersales.proposals.services import rewards
from aftersales.proposals.uploads import check_uploaded
from aftersales.proposals.work import proposals_work

router = Router(tags=["proposals"])

DETAIL = {200: ProposalDetailOut, **ERROR_RESPONSES}
# A file answer: the body is the file, described in the schema by _file().
FILE = {200: None, **ERROR_RESPONSES}


def _file(media_type: str, description) -> dict:
    """openapi_extra for an endpoint whose 200 answer is a file, not JSON."""
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {200: {"description": description, "content": content}}}


def _as(response, media_type: str):
    """A file answer sent with the media type its operation documents."""
    response["Content-Type"] = media_type
    return response


# --- reads -------------------------------------------------------------------


class ListFilters(Schema):
    status: Line = NinjaField("", description=_lazy("A status, e.g. under_study or reserved."))
    channel: Line = NinjaField("", description=_lazy("web, email, letter or phone."))
    department: Id | None = NinjaField(
        None, description=_lazy("Id of a department asked to study it.")
    )
    received_from: Day | None = NinjaField(None, description=_lazy("Received on or after."))
    received_to: Day | None = NinjaField(None, description=_lazy("Received on or before."))
    overdue: bool | None = NinjaField(
        None, description=_lazy("Only proposals past a study due date or decide-by date.")
    )
    customer: Id | None = NinjaField(None, description=_lazy("Id of the customer."))
    q: Line = NinjaField("", description=_lazy("Full-text search in reference, title and content."))
    sort: Line = NinjaField(
        "",
        description=_lazy(
            "newest (the default), oldest, or decide_by (reserved proposals by their "
            "decide-by date)."
        ),
    )
    cursor: Line | None = NinjaField(None, description=_lazy("next_cursor of the previous page."))
    limit: int = NinjaField(25, ge=1, le=100)


@router.get(
    "/",
    response={200: ProposalPage, **ERROR_RESPONSES},
    summary=_lazy("List and search proposals"),
    description=_lazy(
        "Proposals the user may see, newest first unless sorted otherwise, a page at a "
        "time (keyset pagination: pass next_cursor back as cursor)."
    ),
)
def proposal_list(request, filters: Query[ListFilters]):
    require(request.auth, "proposals.view_proposal")
    data = filters.dict()
    cursor, limit = data.pop("cursor"), data.pop("limit")
    data = {key: value for key, value in data.items() if value not in (None, "")}
    rows, next_cursor = selectors.proposal_list(
        user=request.auth, filters=data, cursor=cursor, limit=limit
    )
    return {"items": rows, "next_cursor": next_cursor}


class ExportFilters(Schema):
    """The list's filters, read by the staff list's own filter form, so the API
    and the page's export narrow the same way."""

    status: Line = NinjaField("", description=_lazy("A status, e.g. under_study or reserved."))
    channel: Line = NinjaField("", description=_lazy("web, email, letter or phone."))
    department: Line = NinjaField("", description=_lazy("Id of a department asked to study it."))
    received_from: Line = NinjaField("", description=_lazy("Received on or after (YYYY-MM-DD)."))
    received_to: Line = NinjaField("", description=_lazy("Received on or before (YYYY-MM-DD)."))
    overdue: Line = NinjaField(
        "",
        description=_lazy("true: only proposals past a study due date or decide-by date."),
    )
    customer: Line = NinjaField("", description=_lazy("Id of the customer."))
    q: Line = NinjaField("", description=_lazy("Full-text search in reference, title and content."))
    sort: Line = NinjaField("", description=_lazy("newest (the default), oldest or decide_by."))


def export_filters(params) -> dict:
    """The selector filters ``params`` (a dict or QueryDict) ask for, checked
    by the list's filter form. A filter that is not valid refuses the export,
    naming the field: leaving it out would export more than was asked for."""
    form = ProposalFilterForm(params)
    if not form.is_valid():
        fields = {name: " ".join(errors) for name, errors in form.errors.items()}
        raise DomainError(
            "invalid_filter", _("A filter is not valid; nothing was exported."), fields=fields
        )
    return form.filters()


@router.get(
    "/export.xlsx",
    response=FILE,
    summary=_lazy("Export the filtered list as XLSX"),
    description=_lazy(
        "P4-P9: the proposals the list shows for the same filters (and search), as a "
        "spreadsheet, whole rather than a page at a time, up to the export cap. A filter that "
        "is not valid answers 400 naming it; nothing is exported."
    ),
    openapi_extra=_file(XLSX, _lazy("The spreadsheet.")),
)
def proposal_export(request, filters: Query[ExportFilters]):
    require(request.auth, "proposals.view_proposal")
    require(request.auth, "proposals.export_proposal")
    data = {key: value for key, value in filters.dict().items() if value != ""}
    return export_response(user=request.auth, filters=export_filters(data))


def _detail(proposal_id: int) -> Proposal:
    # The selector joins or prefetches each relation the detail shows: a fixed
    # number of queries however long the proposal's history grows.
    queryset = selectors.proposal_detail_queryset().select_related("evaluation")
    proposal = get_object_or_404(queryset, pk=proposal_id)
    proposal.notices = selectors.proposal_notices(proposal)
    return proposal


@router.get(
    "/{int:proposal_id}",
    response=DETAIL,
    summary=_lazy("Read a proposal"),
    description=_lazy(
        "The proposal with its acceptance record, study requests and opinions, decision, "
        "reserve and its extensions, implementation, development mode, attachments (names "
        "and sizes), the timeline of events and every notice sent about it."
    ),
)
def proposal_get(request, proposal_id: Id):
    require(request.auth, "proposals.view_proposal")
    return _detail(proposal_id)


@router.get(
    "/{int:proposal_id}/acceptance-record.pdf",
    response=FILE,
    summary=_lazy("The acceptance record as PDF"),
    description=_lazy(
        "P5: the printable acceptance record of an accepted proposal (or one further on), "
        "in lang (zh-hans or en) or the request's language. A proposal not yet accepted "
        "has none: 409."
    ),
    openapi_extra=_file("application/pdf", _lazy("The acceptance record.")),
)
def acceptance_record(request, proposal_id: Id, lang: Line = ""):
    from aftersales.proposals.documents import acceptance_record_pdf

    require(request.auth, "proposals.view_proposal")
    # What the record prints, loaded as acceptance_record_pdf asks.
    proposal = get_object_or_404(
        Proposal.objects.select_related("customer", "accepted_by__profile").prefetch_related(
            "study_requests__department"
        ),
        pk=proposal_id,
    )
    if proposal.accepted_at is None:
        raise DomainError(
            "p5_not_accepted",
            _("The proposal has not been accepted, so it has no acceptance record yet."),
            status=409,
        )
    pdf = acceptance_record_pdf(proposal, language=language_or_default(lang or get_language()))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{proposal.reference}-acceptance-record.pdf"'
    )
    return response


@router.get(
    "/attachments/{int:attachment_id}",
    response=FILE,
    summary=_lazy("Download an attachment"),
    description=_lazy(
        "P4: an original a proposal arrived with (uploaded file, scanned letter, call note, "
        "mail attachment), as a download, never shown inline."
    ),
    openapi_extra=_file("application/octet-stream", _lazy("The file as it was received.")),
)
def attachment_download(request, attachment_id: Id):
    require(request.auth, "proposals.view_proposal")
    attachment = get_object_or_404(Attachment, pk=attachment_id)
    response = protected_download(
        attachment.file.name, download_name=typed_file_name(attachment.original_name)
    )
    # Bytes to save, as documented, whatever their kind (the proposal lists it
    # as content_type); never a type guessed from the name a customer gave.
    return _as(response, "application/octet-stream")


# --- P4: letters and calls ---------------------------------------------------


@router.post(
    "/",
    response={201: ProposalDetailOut, **ERROR_RESPONSES},
    summary=_lazy("Record a letter or telephone proposal"),
    description=_lazy(
        "P4: staff record a proposal that came by letter or telephone, for a known customer "
        "(customer_id) or one found or created by email or phone (customer). The customer "
        "is sent an acknowledgement carrying the proposal's reference."
    ),
)
def proposal_create(request, payload: ProposalIn):
    require(request.auth, "proposals.add_proposal")
    if (payload.customer_id is None) == (payload.customer is None):
        message = _("Give either customer_id or customer, not both and not neither.")
        raise DomainError("customer_required", message, fields={"customer": message})
    received_at = payload.received_at
    if received_at is not None and timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    customer = None
    if payload.customer_id is not None:
        customer = Customer.objects.filter(pk=payload.customer_id).first()
        if customer is None:
            raise DomainError(
                "unknown_customer",
                _("There is no such customer."),
                fields={"customer_id": _("Unknown customer.")},
            )
    proposal, _customer, _created = services.proposal_receive_for(
        customer=customer,
        contact=payload.customer.dict() if customer is None else None,
        channel=payload.channel,
        title=payload.title,
        content=payload.content,
        language=payload.language,
        received_at=received_at,
        by=request.auth,
    )
    return Status(201, _detail(proposal.pk))


@router.post(
    "/{int:proposal_id}/attachments",
    response={201: AttachmentOut, **ERROR_RESPONSES},
    summary=_lazy("Attach the original of a letter or call"),
    description=_lazy(
        "P4: the scanned letter or the call note of a proposal recorded by staff, sent as "
        "multipart form data (field file). The file is judged by its content, not its name."
    ),
)
def attachment_upload(request, proposal_id: Id, file: File[UploadedFile]):
    require(request.auth, "proposals.add_proposal")
    proposal = _proposal(proposal_id)
    checked = check_uploaded(file)
    attachment = services.proposal_attach_original(
        proposal=proposal, checked=checked, by=request.auth
    )
    return Status(201, attachment)


# --- P5: acceptance, closing, study ------------------------------------------


def _proposal(proposal_id: int) -> Proposal:
    return get_object_or_404(Proposal, pk=proposal_id)


@router.post(
    "/{int:proposal_id}/accept",
    response=DETAIL,
    summary=_lazy("Accept a proposal"),
    description=_lazy("P5: the acceptance record: who accepted, when, category and summary."),
)
def proposal_accept(request, proposal_id: Id, payload: AcceptIn):
    require(request.auth, "proposals.accept_proposal")
    services.proposal_accept(
        proposal=_proposal(proposal_id),
        by=request.auth,
        category=payload.category,
        summary=payload.summary,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/{int:proposal_id}/close",
    response=DETAIL,
    summary=_lazy("Close: not a proposal"),
    description=_lazy(
        "P5: spam, a complaint sent to the wrong place or a duplicate is closed with a reason "
        "and no thank-you; a duplicate names the proposal it repeats and its customer is told."
    ),
)
def proposal_close(request, proposal_id: Id, payload: CloseIn):
    require(request.auth, "proposals.accept_proposal")
    proposal = _proposal(proposal_id)
    duplicate_of = None
    if payload.duplicate_of is not None:
        duplicate_of = Proposal.objects.filter(pk=payload.duplicate_of).first()
        if duplicate_of is None:
            raise DomainError(
                "unknown_proposal",
                _("There is no such proposal."),
                fields={"duplicate_of": _("Unknown proposal.")},
            )
    services.proposal_close(
        proposal=proposal,
        by=request.auth,
        reason=payload.reason,
        note=payload.note,
        duplicate_of=duplicate_of,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


def _departments(ids: list[int], field: str) -> list[Department]:
    found = Department.objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise DomainError(
            "unknown_department",
            _("There is no department with id %(ids)s.") % {"ids": ", ".join(missing)},
            fields={field: _("Unknown department.")},
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


@router.post(
    "/{int:proposal_id}/route",
    response=DETAIL,
    summary=_lazy("Send for study"),
    description=_lazy(
        "P5: ask one or more departments to study the proposal, each by the due date; "
        "departments can be added while the study runs."
    ),
)
def proposal_route(request, proposal_id: Id, payload: RouteIn):
    require(request.auth, "proposals.accept_proposal")
    proposal = _proposal(proposal_id)
    services.proposal_route(
        proposal=proposal,
        by=request.auth,
        departments=_departments(payload.departments, "departments"),
        due_date=payload.due_date,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/studies/{int:study_id}/opinion",
    response=DETAIL,
    summary=_lazy("Give a department's study opinion"),
    description=_lazy(
        "P5: the department's manager, or whom the manager delegated to, writes its study "
        "opinion, once. seen_version is the proposal's version."
    ),
)
def study_opinion(request, study_id: Id, payload: OpinionIn):
    require(request.auth, "proposals.view_proposal")
    study = get_object_or_404(
        StudyRequest.objects.select_related("department", "proposal"), pk=study_id
    )
    services.study_opinion_submit(
        study=study, by=request.auth, opinion=payload.opinion, seen_version=payload.seen_version
    )
    return _detail(study.proposal_id)


# --- P6-P10: decision, reserve, implementation, development ------------------


@router.post(
    "/{int:proposal_id}/adopt",
    response=DETAIL,
    summary=_lazy("Adopt"),
    description=_lazy(
        "P6, P7: the customer service manager adopts the proposal; the implementing "
        "department, planned implementation date and improvement measures are required and "
        "are what the customer is told."
    ),
)
def proposal_adopt(request, proposal_id: Id, payload: AdoptIn):
    require(request.auth, "proposals.decide_proposal")
    proposal = _proposal(proposal_id)
    (department,) = _departments([payload.implementing_department], "implementing_department")
    services.proposal_adopt(
        proposal=proposal,
        by=request.auth,
        implementing_department=department,
        planned_date=payload.planned_date,
        measures=payload.measures,
        note=payload.note,
        development_mode=payload.development_mode,
        agreement_reference=payload.agreement_reference,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/{int:proposal_id}/not-adopt",
    response=DETAIL,
    summary=_lazy("Not adopt"),
    description=_lazy("P6, P8: not adopted; the customer is told and thanked."),
)
def proposal_not_adopt(request, proposal_id: Id, payload: NoteIn):
    require(request.auth, "proposals.decide_proposal")
    services.proposal_not_adopt(
        proposal=_proposal(proposal_id),
        by=request.auth,
        note=payload.note,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/{int:proposal_id}/reserve",
    response=DETAIL,
    summary=_lazy("Reserve"),
    description=_lazy(
        "P6, P9: reserve with a reason and a decide-by date within the policy's reserve "
        "limit; the customer is told it is reserved and why."
    ),
)
def proposal_reserve(request, proposal_id: Id, payload: ReserveIn):
    require(request.auth, "proposals.decide_proposal")
    services.proposal_reserve(
        proposal=_proposal(proposal_id),
        by=request.auth,
        reason=payload.reason,
        decide_by=payload.decide_by,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/{int:proposal_id}/extend-reserve",
    response=DETAIL,
    summary=_lazy("Extend a reserve"),
    description=_lazy(
        "P9: move a reserve's decide-by date. Past the limit fixed on the reserve date only "
        "the after-sales department manager may, and the approval and reason are recorded."
    ),
)
def proposal_extend_reserve(request, proposal_id: Id, payload: ExtendReserveIn):
    user = request.auth
    if not (can(user, "proposals.decide_proposal") or can(user, "proposals.extend_reserve")):
        raise PermissionDenied("proposals.extend_reserve")
    services.proposal_reserve_extend(
        proposal=_proposal(proposal_id),
        by=user,
        decide_by=payload.decide_by,
        reason=payload.reason,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/{int:proposal_id}/implemented",
    response=DETAIL,
    summary=_lazy("Record implementation done"),
    description=_lazy(
        "P7: the adopted proposal has been implemented; the customer is told. The customer "
        "service manager or the implementing department's manager records it."
    ),
)
def proposal_implemented(request, proposal_id: Id, payload: ImplementedIn):
    require(request.auth, "proposals.record_implementation")
    services.proposal_implemented(
        proposal=_proposal(proposal_id),
        by=request.auth,
        note=payload.note,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


@router.post(
    "/{int:proposal_id}/development",
    response=DETAIL,
    summary=_lazy("Set the development mode"),
    description=_lazy(
        "P10: an adopted proposal is developed by the company or jointly with the customer; "
        "joint development needs the agreement's reference."
    ),
)
def proposal_development(request, proposal_id: Id, payload: DevelopmentIn):
    require(request.auth, "proposals.decide_proposal")
    services.proposal_set_development(
        proposal=_proposal(proposal_id),
        by=request.auth,
        development_mode=payload.development_mode,
        agreement_reference=payload.agreement_reference,
        seen_version=payload.seen_version,
    )
    return _detail(proposal_id)


# --- P4: quarantined mail ------------------------------------------------------


@router.get(
    "/inbound-mail",
    response={200: list[InboundMailOut], **ERROR_RESPONSES},
    summary=_lazy("Mail the intake read"),
    description=_lazy(
        "P4: every mail the intake read, newest first; by default the quarantined ones, "
        "which could not be parsed and wait to be retried. outcome= (empty) lists all."
    ),
)
@paginate(CursorPagination)
def inbound_mail_list(request, outcome: Line = InboundMail.Outcome.QUARANTINED.value):
    require(request.auth, "proposals.handle_inbound_mail")
    mails = InboundMail.objects.all()
    if outcome:
        mails = mails.filter(outcome=outcome)
    return mails


@router.get(
    "/inbound-mail/{int:mail_id}",
    response={200: InboundMailDetailOut, **ERROR_RESPONSES},
    summary=_lazy("Read a mail the intake read"),
    description=_lazy(
        "P4: one inbound mail as stored: sender, subject, size, what became of it (the "
        "proposal it created or joined, or why it is quarantined), who retried it and when, "
        "and the files it carried. The message itself is at /raw."
    ),
)
def inbound_mail_get(request, mail_id: Id):
    require(request.auth, "proposals.handle_inbound_mail")
    return get_object_or_404(mail_selectors.inbound_mail_detail(), pk=mail_id)


@router.get(
    "/inbound-mail/{int:mail_id}/raw",
    response=FILE,
    summary=_lazy("Download a mail's raw message"),
    description=_lazy("P4: the bytes the intake read, kept as they came, as an .eml file."),
    openapi_extra=_file("message/rfc822", _lazy("The raw message.")),
)
def inbound_mail_raw(request, mail_id: Id):
    require(request.auth, "proposals.handle_inbound_mail")
    inbound = get_object_or_404(InboundMail, pk=mail_id)
    response = protected_download(inbound.raw.name, download_name=f"mail-{inbound.pk}.eml")
    return _as(response, "message/rfc822")


@router.post(
    "/inbound-mail/{int:mail_id}/retry",
    response={200: InboundRetryOut, **ERROR_RESPONSES},
    summary=_lazy("Retry a quarantined mail"),
    description=_lazy(
        "P4: run the intake again on a quarantined mail's stored bytes, once the cause is "
        "fixed; it becomes a proposal, is attached to one, or stays quarantined."
    ),
)
def inbound_mail_retry(request, mail_id: Id):
    require(request.auth, "proposals.handle_inbound_mail")
    inbound = get_object_or_404(InboundMail, pk=mail_id)
    result = mail_retry(inbound=inbound, by=request.auth)
    return {
        "outcome": result.outcome,
        "detail": result.detail,
        "proposal_id": result.proposal.pk if result.proposal else None,
        "mail": InboundMail.objects.get(pk=mail_id),
    }


# --- the summary (P4-P9) ---------------------------------------------------------


@router.get(
    "/summary",
    response={200: SummaryOut, **ERROR_RESPONSES},
    summary=_lazy("Summary figures"),
    description=_lazy(
        "Counts by status, channel and department, the adoption rate, the median days from "
        "receipt to decision, and reserved proposals near or past their decide-by date (P9)."
    ),
)
def proposal_summary(request):
    require(request.auth, "proposals.view_proposal")
    figures = selectors.proposal_summary()

    def counts(rows):
        return [{"code": code, "label": str(label), "count": n} for code, label, n in rows]

    return {
        **{
            key: figures[key]
            for key in (
                "today",
                "total",
                "decided",
                "adopted",
                "adoption_rate",
                "median_days_to_decision",
                "decisions_counted",
                "reserve_window_days",
            )
        },
        "by_status": counts(figures["by_status"]),
        "by_channel": counts(figures["by_channel"]),
        "by_department": [
            {"department": department, "count": n} for department, n in figures["by_department"]
        ],
        "reserves_due": figures["reserves"],
    }


# --- P11: evaluation and reward ------------------------------------------------------


def _evaluation(evaluation_id: int) -> Evaluation:
    return get_object_or_404(Evaluation, pk=evaluation_id)


def _evaluation_out(evaluation_id: int, user) -> dict:
    """The evaluation as ``user`` may see it: while scoring runs, a member sees
    who has scored but only their own scores (P11: each judges alone)."""
    evaluation = get_object_or_404(
        Evaluation.objects.select_related(
            "proposal",
            "policy",
            "opened_by__profile",
            "closed_early_by__profile",
            "approved_by__profile",
            "paid_by__profile",
        ).prefetch_related(
            Prefetch(
                "members",
                queryset=get_user_model().objects.select_related("profile").order_by("pk"),
            ),
            Prefetch("scores", queryset=Score.objects.select_related("member__profile")),
        ),
        pk=evaluation_id,
    )

    def score(row: Score) -> dict:
        shown = rewards.score_visible(user, evaluation, row)
        values = {
            name: getattr(row, name) if shown else None
            for name in ("creativity", "feasibility", "benefit", "note")
        }
        return {"member": user_brief(row.member), "at": row.at, **values}

    return {
        "id": evaluation.pk,
        "proposal_id": evaluation.proposal_id,
        "proposal_reference": evaluation.proposal.reference,
        "status": evaluation.status,
        "policy_number": evaluation.policy.number,
        "opened_by": user_brief(evaluation.opened_by),
        "opened_at": evaluation.created_at,
        "members": [user_brief(member) for member in evaluation.members.all()],
        "scores": [score(row) for row in evaluation.scores.all()],
        "closed_early_by": user_brief(evaluation.closed_early_by),
        "closed_early_note": evaluation.closed_early_note,
        "weighted_score": evaluation.weighted_score,
        "grade": evaluation.grade,
        "amount": evaluation.amount,
        "graded_at": evaluation.graded_at,
        "approved_by": user_brief(evaluation.approved_by),
        "approved_at": evaluation.approved_at,
        "paid_by": user_brief(evaluation.paid_by),
        "paid_at": evaluation.paid_at,
        "payment_reference": evaluation.payment_reference,
        "version": evaluation.version,
    }


EVALUATION = {200: EvaluationOut, **ERROR_RESPONSES}


@router.post(
    "/{int:proposal_id}/evaluation",
    response={201: EvaluationOut, **ERROR_RESPONSES},
    summary=_lazy("Open the reward evaluation"),
    description=_lazy(
        "P11: the evaluation committee (the general manager and the department managers, "
        "as they stand now) is asked to score an adopted proposal."
    ),
)
def evaluation_open(request, proposal_id: Id, payload: EvaluationOpenIn):
    require(request.auth, "proposals.manage_evaluation")
    evaluation = rewards.evaluation_open(
        proposal=_proposal(proposal_id), by=request.auth, seen_version=payload.seen_version
    )
    return Status(201, _evaluation_out(evaluation.pk, request.auth))


@router.get(
    "/evaluations/{int:evaluation_id}",
    response=EVALUATION,
    summary=_lazy("Read an evaluation"),
    description=_lazy(
        "P11: the committee, who has scored, the weighted score, grade and reward, approval "
        "and payment. While scoring runs a member sees only their own scores."
    ),
)
def evaluation_get(request, evaluation_id: Id):
    require(request.auth, "proposals.view_proposal")
    return _evaluation_out(evaluation_id, request.auth)


@router.post(
    "/evaluations/{int:evaluation_id}/scores",
    response={201: EvaluationOut, **ERROR_RESPONSES},
    summary=_lazy("Score a proposal"),
    description=_lazy(
        "P11: a committee member scores creativity, feasibility and overall benefit, once; "
        "when the last member has scored, the grade and reward are computed."
    ),
)
def evaluation_score(request, evaluation_id: Id, payload: ScoreIn):
    require(request.auth, "proposals.score_proposal")
    rewards.score_submit(evaluation=_evaluation(evaluation_id), by=request.auth, **payload.dict())
    return Status(201, _evaluation_out(evaluation_id, request.auth))


@router.post(
    "/evaluations/{int:evaluation_id}/close",
    response=EVALUATION,
    summary=_lazy("Close scoring early"),
    description=_lazy(
        "P11: the chair closes scoring with the scores given so far, saying why; the grade "
        "is computed from them."
    ),
)
def evaluation_close(request, evaluation_id: Id, payload: CloseScoringIn):
    require(request.auth, "proposals.approve_reward")
    rewards.evaluation_close_scoring(
        evaluation=_evaluation(evaluation_id), by=request.auth, note=payload.note
    )
    return _evaluation_out(evaluation_id, request.auth)


@router.post(
    "/evaluations/{int:evaluation_id}/approve",
    response=EVALUATION,
    summary=_lazy("Approve the reward"),
    description=_lazy("P11: the general manager approves the reward the grade gives."),
)
def evaluation_approve(request, evaluation_id: Id, payload: EvaluationVersionIn):
    require(request.auth, "proposals.approve_reward")
    rewards.reward_approve(
        evaluation=_evaluation(evaluation_id), by=request.auth, seen_version=payload.seen_version
    )
    return _evaluation_out(evaluation_id, request.auth)


@router.post(
    "/evaluations/{int:evaluation_id}/pay",
    response=EVALUATION,
    summary=_lazy("Record the reward's payment"),
    description=_lazy(
        "P11: the approved reward was paid; the customer is told the grade and the amount."
    ),
)
def evaluation_pay(request, evaluation_id: Id, payload: PayIn):
    require(request.auth, "proposals.manage_evaluation")
    rewards.reward_pay(
        evaluation=_evaluation(evaluation_id),
        by=request.auth,
        payment_reference=payload.payment_reference,
        seen_version=payload.seen_version,
    )
    return _evaluation_out(evaluation_id, request.auth)


# --- P12: certificates -------------------------------------------------------------------


def _certificates():
    return Certificate.objects.select_related("customer", "issued_by__profile")


@router.post(
    "/certificates/issue",
    response={201: CertificatesIssuedOut, **ERROR_RESPONSES},
    summary=_lazy("Issue a year's certificates"),
    description=_lazy(
        "P12: issue and send a certificate of appreciation to every customer who qualifies "
        "for a past year and has none for it yet; running it again issues nothing twice."
    ),
)
def certificates_issue(request, payload: CertificatesIssueIn):
    require(request.auth, "proposals.issue_certificate")
    issued = certificates.certificates_issue(year=payload.year, by=request.auth)
    rows = _certificates().filter(pk__in=[c.pk for c in issued]).order_by("number")
    return Status(201, {"issued": list(rows)})


@router.get(
    "/certificates",
    response={200: list[CertificateOut], **ERROR_RESPONSES},
    summary=_lazy("List certificates"),
    description=_lazy(
        "P12: the certificates of appreciation issued, newest first, for those who issue them."
    ),
)
@paginate(CursorPagination)
def certificate_list(request, year: Year | None = None):
    # P12: the same people who issue certificates see them, as on the staff page.
    require(request.auth, "proposals.issue_certificate")
    rows = _certificates()
    if year is not None:
        rows = rows.filter(year=year)
    return rows


@router.get(
    "/certificates/{int:certificate_id}/file",
    response=FILE,
    summary=_lazy("Download a certificate"),
    description=_lazy("P12: the certificate of appreciation as the PDF the customer was sent."),
    openapi_extra=_file("application/pdf", _lazy("The certificate.")),
)
def certificate_file(request, certificate_id: Id):
    require(request.auth, "proposals.issue_certificate")
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    if not certificate.file:
        raise Http404
    response = protected_download(
        certificate.file.name,
        download_name=certificates.certificate_download_name(certificate),
    )
    return _as(response, "application/pdf")


# --- My work -------------------------------------------------------------------------------


@router.get(
    "/my-work",
    response={200: list[WorkItemOut], **ERROR_RESPONSES},
    summary=_lazy("My work on proposals"),
    description=_lazy(
        "What waits on the user: study opinions to write (P5), proposals to accept or send "
        "for study (P5), to decide (P6, P9), to score and rewards to approve (P11). Empty "
        "when nothing waits."
    ),
)
def my_work(request):
    require(request.auth, "proposals.view_proposal")
    section = proposals_work(request.auth)
    return section["items"] if section else []
