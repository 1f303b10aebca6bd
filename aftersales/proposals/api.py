"""The proposal endpoints under /api/v1/proposals (P4-P12).

Thin, as STYLE rule 1 asks: each action checks the permission, looks up
what the ids name, calls the same service the HTML views call and answers
with the record as it is now; that shape is core.api.record_action, so an
endpoint here states only its service and what its input becomes. The
services check again, and every refusal answers in the one error shape.
"""

from dataclasses import replace

from django.contrib.auth import get_user_model
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
from aftersales.core.api import ERROR_RESPONSES, CursorPagination, Day, record_action
from aftersales.core.bidi import typed_file_name
from aftersales.core.errors import DomainError
from aftersales.core.fields import Id, Line, Year
from aftersales.core.files import protected_download
from aftersales.core.permissions import require
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


def _proposal(proposal_id: int) -> Proposal:
    return get_object_or_404(Proposal, pk=proposal_id)


def _on_proposal(path: str, permission, *, answer=None, response=DETAIL, status=200, **documented):
    """An action on one proposal (core.api.record_action); by default it
    answers with the proposal's detail as it is now."""
    return record_action(
        router,
        path,
        permission=permission,
        load=_proposal,
        answer=answer or (lambda proposal: _detail(proposal.pk)),
        response=response,
        status=status,
        **documented,
    )


@_on_proposal(
    "/{int:proposal_id}/attachments",
    "proposals.add_proposal",
    answer=lambda attachment: attachment,
    response={201: AttachmentOut, **ERROR_RESPONSES},
    status=201,
    summary=_lazy("Attach the original of a letter or call"),
    description=_lazy(
        "P4: the scanned letter or the call note of a proposal recorded by staff, sent as "
        "multipart form data (field file). The file is judged by its content, not its name."
    ),
)
def attachment_upload(request, proposal, file: File[UploadedFile]):
    return services.proposal_attach_original(
        proposal=proposal, checked=check_uploaded(file), by=request.auth
    )


# --- P5: acceptance, closing, study ------------------------------------------


@_on_proposal(
    "/{int:proposal_id}/accept",
    "proposals.accept_proposal",
    summary=_lazy("Accept a proposal"),
    description=_lazy("P5: the acceptance record: who accepted, when, category and summary."),
)
def proposal_accept(request, proposal, payload: AcceptIn):
    services.proposal_accept(proposal=proposal, by=request.auth, **payload.dict())


@_on_proposal(
    "/{int:proposal_id}/close",
    "proposals.accept_proposal",
    summary=_lazy("Close: not a proposal"),
    description=_lazy(
        "P5: spam, a complaint sent to the wrong place or a duplicate is closed with a reason "
        "and no thank-you; a duplicate names the proposal it repeats and its customer is told."
    ),
)
def proposal_close(request, proposal, payload: CloseIn):
    duplicate_of = None
    if payload.duplicate_of is not None:
        duplicate_of = Proposal.objects.filter(pk=payload.duplicate_of).first()
        if duplicate_of is None:
            raise DomainError(
                "unknown_proposal",
                _("There is no such proposal."),
                fields={"duplicate_of": _("Unknown proposal.")},
            )
    arguments = {**payload.dict(), "duplicate_of": duplicate_of}
    services.proposal_close(proposal=proposal, by=request.auth, **arguments)


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


@_on_proposal(
    "/{int:proposal_id}/route",
    "proposals.accept_proposal",
    summary=_lazy("Send for study"),
    description=_lazy(
        "P5: ask one or more departments to study the proposal, each by the due date; "
        "departments can be added while the study runs."
    ),
)
def proposal_route(request, proposal, payload: RouteIn):
    departments = _departments(payload.departments, "departments")
    arguments = {**payload.dict(), "departments": departments}
    services.proposal_route(proposal=proposal, by=request.auth, **arguments)


@record_action(
    router,
    "/studies/{int:study_id}/opinion",
    permission="proposals.view_proposal",
    load=lambda pk: get_object_or_404(
        StudyRequest.objects.select_related("department", "proposal"), pk=pk
    ),
    answer=lambda study: _detail(study.proposal_id),
    response=DETAIL,
    summary=_lazy("Give a department's study opinion"),
    description=_lazy(
        "P5: the department's manager, or whom the manager delegated to, writes its study "
        "opinion, once. seen_version is the proposal's version."
    ),
)
def study_opinion(request, study, payload: OpinionIn):
    services.study_opinion_submit(study=study, by=request.auth, **payload.dict())


# --- P6-P10: decision, reserve, implementation, development ------------------


@_on_proposal(
    "/{int:proposal_id}/adopt",
    "proposals.decide_proposal",
    summary=_lazy("Adopt"),
    description=_lazy(
        "P6, P7: the customer service manager adopts the proposal; the implementing "
        "department, planned implementation date and improvement measures are required and "
        "are what the customer is told."
    ),
)
def proposal_adopt(request, proposal, payload: AdoptIn):
    (department,) = _departments([payload.implementing_department], "implementing_department")
    arguments = {**payload.dict(), "implementing_department": department}
    services.proposal_adopt(proposal=proposal, by=request.auth, **arguments)


@_on_proposal(
    "/{int:proposal_id}/not-adopt",
    "proposals.decide_proposal",
    summary=_lazy("Not adopt"),
    description=_lazy("P6, P8: not adopted; the customer is told and thanked."),
)
def proposal_not_adopt(request, proposal, payload: NoteIn):
    services.proposal_not_adopt(proposal=proposal, by=request.auth, **payload.dict())


@_on_proposal(
    "/{int:proposal_id}/reserve",
    "proposals.decide_proposal",
    summary=_lazy("Reserve"),
    description=_lazy(
        "P6, P9: reserve with a reason and a decide-by date within the policy's reserve "
        "limit; the customer is told it is reserved and why."
    ),
)
def proposal_reserve(request, proposal, payload: ReserveIn):
    services.proposal_reserve(proposal=proposal, by=request.auth, **payload.dict())


@_on_proposal(
    "/{int:proposal_id}/extend-reserve",
    ("proposals.decide_proposal", "proposals.extend_reserve"),
    summary=_lazy("Extend a reserve"),
    description=_lazy(
        "P9: move a reserve's decide-by date. Past the limit fixed on the reserve date only "
        "the after-sales department manager may, and the approval and reason are recorded."
    ),
)
def proposal_extend_reserve(request, proposal, payload: ExtendReserveIn):
    services.proposal_reserve_extend(proposal=proposal, by=request.auth, **payload.dict())


@_on_proposal(
    "/{int:proposal_id}/implemented",
    "proposals.record_implementation",
    summary=_lazy("Record implementation done"),
    description=_lazy(
        "P7: the adopted proposal has been implemented; the customer is told. The customer "
        "service manager or the implementing department's manager records it."
    ),
)
def proposal_implemented(request, proposal, payload: ImplementedIn):
    services.proposal_implemented(proposal=proposal, by=request.auth, **payload.dict())


@_on_proposal(
    "/{int:proposal_id}/development",
    "proposals.decide_proposal",
    summary=_lazy("Set the development mode"),
    description=_lazy(
        "P10: an adopted proposal is developed by the company or jointly with the customer; "
        "joint development needs the agreement's reference."
    ),
)
def proposal_development(request, proposal, payload: DevelopmentIn):
    services.proposal_set_development(proposal=proposal, by=request.auth, **payload.dict())


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


@record_action(
    router,
    "/inbound-mail/{int:mail_id}/retry",
    permission="proposals.handle_inbound_mail",
    load=lambda pk: get_object_or_404(InboundMail, pk=pk),
    response={200: InboundRetryOut, **ERROR_RESPONSES},
    summary=_lazy("Retry a quarantined mail"),
    description=_lazy(
        "P4: run the intake again on a quarantined mail's stored bytes, once the cause is "
        "fixed; it becomes a proposal, is attached to one, or stays quarantined."
    ),
)
def inbound_mail_retry(request, inbound):
    result = mail_retry(inbound=inbound, by=request.auth)
    # The mail as stored after the retry, read again.
    return replace(result, inbound=InboundMail.objects.get(pk=inbound.pk))


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
    return selectors.proposal_summary()


# --- P11: evaluation and reward ------------------------------------------------------


def _evaluation(evaluation_id: int) -> Evaluation:
    return get_object_or_404(Evaluation, pk=evaluation_id)


def _evaluation_detail(evaluation_id: int) -> Evaluation:
    """The evaluation with all EvaluationOut reads, in a fixed number of queries."""
    return get_object_or_404(
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


def _on_evaluation(path: str, permission: str, *, status=200, **documented):
    """An action on one evaluation (core.api.record_action), answered with the
    evaluation as it is now, as the one asking may see it."""
    return record_action(
        router,
        path,
        permission=permission,
        load=_evaluation,
        answer=lambda evaluation: _evaluation_detail(evaluation.pk),
        response={status: EvaluationOut, **ERROR_RESPONSES},
        status=status,
        **documented,
    )


@_on_proposal(
    "/{int:proposal_id}/evaluation",
    "proposals.manage_evaluation",
    answer=lambda evaluation: _evaluation_detail(evaluation.pk),
    response={201: EvaluationOut, **ERROR_RESPONSES},
    status=201,
    summary=_lazy("Open the reward evaluation"),
    description=_lazy(
        "P11: the evaluation committee (the general manager and the department managers, "
        "as they stand now) is asked to score an adopted proposal."
    ),
)
def evaluation_open(request, proposal, payload: EvaluationOpenIn):
    return rewards.evaluation_open(proposal=proposal, by=request.auth, **payload.dict())


@router.get(
    "/evaluations/{int:evaluation_id}",
    response={200: EvaluationOut, **ERROR_RESPONSES},
    summary=_lazy("Read an evaluation"),
    description=_lazy(
        "P11: the committee, who has scored, the weighted score, grade and reward, approval "
        "and payment. While scoring runs a member sees only their own scores."
    ),
)
def evaluation_get(request, evaluation_id: Id):
    require(request.auth, "proposals.view_proposal")
    return _evaluation_detail(evaluation_id)


@_on_evaluation(
    "/evaluations/{int:evaluation_id}/scores",
    "proposals.score_proposal",
    status=201,
    summary=_lazy("Score a proposal"),
    description=_lazy(
        "P11: a committee member scores creativity, feasibility and overall benefit, once; "
        "when the last member has scored, the grade and reward are computed."
    ),
)
def evaluation_score(request, evaluation, payload: ScoreIn):
    rewards.score_submit(evaluation=evaluation, by=request.auth, **payload.dict())


@_on_evaluation(
    "/evaluations/{int:evaluation_id}/close",
    "proposals.approve_reward",
    summary=_lazy("Close scoring early"),
    description=_lazy(
        "P11: the chair closes scoring with the scores given so far, saying why; the grade "
        "is computed from them."
    ),
)
def evaluation_close(request, evaluation, payload: CloseScoringIn):
    rewards.evaluation_close_scoring(evaluation=evaluation, by=request.auth, **payload.dict())


@_on_evaluation(
    "/evaluations/{int:evaluation_id}/approve",
    "proposals.approve_reward",
    summary=_lazy("Approve the reward"),
    description=_lazy("P11: the general manager approves the reward the grade gives."),
)
def evaluation_approve(request, evaluation, payload: EvaluationVersionIn):
    rewards.reward_approve(evaluation=evaluation, by=request.auth, **payload.dict())


@_on_evaluation(
    "/evaluations/{int:evaluation_id}/pay",
    "proposals.manage_evaluation",
    summary=_lazy("Record the reward's payment"),
    description=_lazy(
        "P11: the approved reward was paid; the customer is told the grade and the amount."
    ),
)
def evaluation_pay(request, evaluation, payload: PayIn):
    rewards.reward_pay(evaluation=evaluation, by=request.auth, **payload.dict())


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
