"""P4: one mail in, one InboundMail row out, and what became of it.

Every mail read is stored with its raw bytes before anything is decided, in
the same transaction as what it leads to, so nothing that arrived is lost:

- a Message-ID seen before is a duplicate and is not taken twice;
- automatic mail (RFC 3834, RFC 3464 reports, auto-responders) is ignored:
  never a proposal, never an acknowledgement, so no mail loop starts;
  a bounce of one of our notices marks that notice failed;
- a reply to a proposal (its reference in the subject, or one of our notices
  or the proposal's own mail in In-Reply-To / References) from that
  proposal's customer is attached to it;
- anything else becomes a new proposal, acknowledged with its reference;
- whatever raises on the way is quarantined: the row keeps the raw mail and
  the error, and staff can retry it once the cause is fixed.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.fields import clean_line, clean_text
from aftersales.core.permissions import require
from aftersales.customers.models import ContactPoint
from aftersales.customers.normalize import normalize_email
from aftersales.notifications.models import Message
from aftersales.notifications.services import outbox_record_bounce
from aftersales.proposals import services
from aftersales.proposals.mail.parse import ParsedMail, dedupe_key, parse
from aftersales.proposals.models import (
    Attachment,
    Channel,
    InboundMail,
    Proposal,
    ProposalEvent,
)
from aftersales.proposals.uploads import attachment_max_bytes, check_upload

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome
_REFERENCE = re.compile(r"\bP-\d{4}-\d{6,}\b")
_NAME_MAX = 200


@dataclass
class IntakeResult:
    outcome: str
    inbound: InboundMail
    proposal: Proposal | None = None
    # Why it was ignored or quarantined, or which attachments were refused.
    detail: str = ""
    refused: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        """One line for a mail server's log, starting with the outcome."""
        parts = [str(self.outcome)]
        if self.proposal is not None:
            parts.append(self.proposal.reference)
        parts.append(f"mail#{self.inbound.pk}")
        if self.detail:
            parts.append(self.detail)
        return " ".join(" ".join(parts).split())


def describe(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def mail_intake(raw: bytes, *, source: str) -> IntakeResult:
    """Store and handle one raw RFC 822 message. Raises only when the mail
    could not be stored at all (the database is unavailable): the caller
    keeps the message and tries again later."""
    parsed, parse_error = _parse(raw)
    key = dedupe_key(raw, parsed.message_id)
    existing = InboundMail.objects.filter(dedupe_key=key).select_related("proposal").first()
    if existing is not None:
        return _duplicate(existing)
    try:
        # One transaction per mail: the row, and the proposal it leads to.
        with transaction.atomic():
            inbound = InboundMail(
                dedupe_key=key,
                message_id=parsed.message_id[:300],
                source=source,
                size=len(raw),
                mail_from=parsed.mail_from[:500],
                subject=parsed.subject[:500],
                outcome=Outcome.QUARANTINED,
            )
            digest = hashlib.sha256(raw).hexdigest()
            inbound.raw.save(f"{digest[:32]}.eml", ContentFile(raw), save=False)
            inbound.save()
            return _run(inbound, raw, parsed, parse_error)
    except IntegrityError:
        # The same Message-ID stored by another reader a moment ago.
        existing = InboundMail.objects.filter(dedupe_key=key).select_related("proposal").first()
        if existing is None:
            raise
        return _duplicate(existing)


@transaction.atomic
def mail_retry(*, inbound: InboundMail, by) -> IntakeResult:
    """Run the intake again on a quarantined mail's stored bytes."""
    require(by, "proposals.handle_inbound_mail")
    inbound = InboundMail.objects.select_for_update().get(pk=inbound.pk)
    if inbound.outcome != Outcome.QUARANTINED:
        raise DomainError("not_quarantined", _("Only quarantined mail can be retried."), status=409)
    with inbound.raw.open("rb") as fh:
        raw = fh.read()
    parsed, parse_error = _parse(raw)
    inbound.retried_at, inbound.retried_by = timezone.now(), by
    inbound.message_id = parsed.message_id[:300] or inbound.message_id
    inbound.mail_from = parsed.mail_from[:500] or inbound.mail_from
    inbound.subject = parsed.subject[:500] or inbound.subject
    return _run(inbound, raw, parsed, parse_error)


# --- steps -------------------------------------------------------------------


def _parse(raw: bytes) -> tuple[ParsedMail, str]:
    try:
        return _cleaned(parse(raw)), ""
    except Exception as exc:  # noqa: BLE001 - kept and quarantined, never lost
        logger.exception("mail intake: cannot parse a message of %s bytes", len(raw))
        return ParsedMail(), describe(exc)


def _cleaned(parsed: ParsedMail) -> ParsedMail:
    """The mail's text held to the rules every form and the API apply (issue
    7). A mail cannot be refused, so it is cleaned instead: control characters
    in headers become spaces, in the body they are dropped (line breaks and
    tabs kept). NUL cannot be stored by PostgreSQL; a line break in a name
    would break every notice written to it. The raw bytes stay as they came."""
    return replace(
        parsed,
        message_id=clean_line(parsed.message_id),
        from_name=clean_line(parsed.from_name),
        from_address=clean_line(parsed.from_address),
        subject=clean_line(parsed.subject),
        text=clean_text(parsed.text),
        references=[clean_line(ref) for ref in parsed.references],
        files=[
            replace(f, name=clean_line(f.name), content_id=clean_line(f.content_id))
            for f in parsed.files
        ],
    )


def _duplicate(existing: InboundMail) -> IntakeResult:
    return IntakeResult(
        Outcome.DUPLICATE,
        existing,
        existing.proposal,
        detail=existing.message_id or existing.dedupe_key,
    )


def _run(inbound: InboundMail, raw: bytes, parsed: ParsedMail, parse_error: str) -> IntakeResult:
    """Decide what the stored mail is; on any failure, quarantine it."""
    try:
        with transaction.atomic():
            if parse_error:
                raise DomainError("unreadable", parse_error)
            result = _decide(inbound, raw, parsed)
    except OperationalError:
        # The database itself is failing: let the whole mail roll back, so the
        # mail server or the mailbox keeps it for the next try.
        raise
    except Exception as exc:  # noqa: BLE001 - one bad mail must not stop the rest
        if not isinstance(exc, DomainError):
            logger.exception("mail intake: quarantined mail #%s", inbound.pk)
        result = IntakeResult(Outcome.QUARANTINED, inbound, detail=describe(exc))
        inbound.error = result.detail
    else:
        inbound.error = "; ".join(result.refused)
    inbound.outcome = result.outcome
    inbound.proposal = result.proposal
    inbound.save()
    return result


def _decide(inbound: InboundMail, raw: bytes, parsed: ParsedMail) -> IntakeResult:
    if parsed.automatic:
        # P4: automatic mail never becomes a proposal nor gets an answer.
        bounced = outbox_record_bounce(raw)
        detail = parsed.automatic
        if bounced is not None:
            detail += f" (bounce of message #{bounced.pk})"
        return IntakeResult(Outcome.IGNORED, inbound, detail=detail)
    if not parsed.from_address:
        raise DomainError("no_sender", _("The mail has no sender address."))
    proposal = _replied_to(parsed)
    if proposal is not None:
        return _attach(inbound, proposal, parsed)
    return _create(inbound, parsed)


def _sender_email(parsed: ParsedMail) -> str:
    try:
        return normalize_email(parsed.from_address)
    except ValidationError:
        return ""


def _replied_to(parsed: ParsedMail) -> Proposal | None:
    """The proposal this mail answers, if its sender is that proposal's customer."""
    sender = _sender_email(parsed)
    if not sender:
        return None
    candidates: list[int] = []
    ids = parsed.references
    if ids:
        proposal_type = ContentType.objects.get_for_model(Proposal)
        candidates += Message.objects.filter(
            message_id__in=ids, related_type=proposal_type
        ).values_list("related_id", flat=True)
        candidates += Proposal.objects.filter(source_message_id__in=ids).values_list(
            "pk", flat=True
        )
        candidates += InboundMail.objects.filter(
            message_id__in=ids, proposal__isnull=False
        ).values_list("proposal_id", flat=True)
    references = _REFERENCE.findall(parsed.subject)
    if references:
        candidates += Proposal.objects.filter(reference__in=references).values_list("pk", flat=True)
    if not candidates:
        return None
    # Only the customer's own reply threads: anyone else quoting a reference
    # sends a proposal of their own.
    theirs = {
        p.pk: p
        for p in Proposal.objects.filter(
            pk__in=candidates,
            customer__contacts__kind=ContactPoint.Kind.EMAIL,
            customer__contacts__normalized=sender,
        ).select_related("customer")
    }
    return next((theirs[pk] for pk in candidates if pk in theirs), None)


def _checked_files(parsed: ParsedMail):
    """(checked file, kind) for each attachment that passes the upload
    check, and a note for each one refused. A refused file does not lose the
    mail: the raw message, file included, is kept on the InboundMail row."""
    max_bytes = attachment_max_bytes()
    checked, refused = [], []
    for mail_file in parsed.files:
        kind = Attachment.Kind.INLINE if mail_file.inline else Attachment.Kind.MAIL
        try:
            checked.append(
                (check_upload(mail_file.name, mail_file.data, max_bytes=max_bytes), kind)
            )
        except DomainError as exc:
            refused.append(str(exc.message))
    return checked, refused


def _add_files(proposal: Proposal, inbound: InboundMail, parsed: ParsedMail) -> list[str]:
    checked, refused = _checked_files(parsed)
    for checked_file, kind in checked:
        services.attachment_add(
            proposal=proposal, checked=checked_file, kind=kind, inbound_mail=inbound
        )
    if refused:
        ProposalEvent.objects.create(
            proposal=proposal,
            kind=ProposalEvent.Kind.NOTE,
            at=timezone.now(),
            note=_("Attachments of the mail not kept with the proposal: %(files)s")
            % {"files": "; ".join(refused)},
            data={"inbound_mail": inbound.pk, "refused": refused},
        )
    return refused


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = "\n[…] " + _("(shortened; the whole mail is kept with it)")
    return text[: limit - len(marker)] + marker


def _attach(inbound: InboundMail, proposal: Proposal, parsed: ParsedMail) -> IntakeResult:
    """P4: a reply joins its proposal: no new proposal, no new acknowledgement."""
    refused = _add_files(proposal, inbound, parsed)
    ProposalEvent.objects.create(
        proposal=proposal,
        kind=ProposalEvent.Kind.MAIL,
        at=timezone.now(),
        note=_clip(parsed.text or parsed.subject, services.CONTENT_MAX),
        data={
            "inbound_mail": inbound.pk,
            "subject": parsed.subject,
            "from": parsed.mail_from,
            "files": [f.name for f in parsed.files],
        },
    )
    return IntakeResult(
        Outcome.ATTACHED, inbound, proposal, detail=_refused_detail(refused), refused=refused
    )


def _create(inbound: InboundMail, parsed: ParsedMail) -> IntakeResult:
    local_part = parsed.from_address.partition("@")[0]
    contact = {
        "name": (parsed.from_name or local_part)[:_NAME_MAX],
        "email": parsed.from_address,
        "preferred_language": parsed.language,
    }
    first_line = next((line.strip() for line in parsed.text.splitlines() if line.strip()), "")
    title = parsed.subject or first_line or _("(no subject)")
    content = parsed.text or parsed.subject
    if not content and parsed.files:
        content = _("(The mail has no text; see its attachments.)")
    proposal, customer, _created = services.proposal_receive_for(
        contact=contact,
        channel=Channel.EMAIL,
        title=title[: services.TITLE_MAX],
        content=_clip(content, services.CONTENT_MAX),
        language=parsed.language,
        source_message_id=parsed.message_id,
        acknowledge=True,
    )
    # Added here rather than through proposal_receive(files=...), so each
    # attachment records the mail it came in.
    refused = _add_files(proposal, inbound, parsed)
    return IntakeResult(
        Outcome.CREATED, inbound, proposal, detail=_refused_detail(refused), refused=refused
    )


def _refused_detail(refused: list[str]) -> str:
    return f"refused: {'; '.join(refused)}" if refused else ""
