"""The portal's one write: a proposal from the public web form (P4)."""

from django.db import transaction
from django.utils import timezone

from aftersales.core.errors import DomainError
from aftersales.proposals.models import Attachment, Channel, Proposal
from aftersales.proposals.services import proposal_receive_for
from aftersales.proposals.uploads import CheckedFile, check_uploaded


def check_files(uploads) -> list[CheckedFile]:
    """Each uploaded file judged by its bytes, never by its name (P4).

    A file larger than the limit is refused after reading one byte past it,
    so an oversized upload is never held in memory whole.
    """
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_uploaded(upload))
        except DomainError as exc:
            errors.append(str(exc.message))
    if errors:
        raise DomainError("file_refused", errors[0], fields={"attachments": errors})
    return checked


@transaction.atomic
def portal_submit(
    *,
    name: str,
    email: str,
    phone: str,
    language: str,
    title: str,
    content: str,
    files: list[CheckedFile],
) -> Proposal:
    """Find or create the customer and receive their proposal, with its files
    and the consent moment, in one transaction: a refusal anywhere leaves
    nothing behind. The acknowledgement carrying the reference is queued for
    after the commit (proposal_receive)."""
    proposal, _customer, _created = proposal_receive_for(
        contact={"name": name, "email": email, "phone": phone, "preferred_language": language},
        channel=Channel.WEB,
        title=title,
        content=content,
        language=language,
        consent_at=timezone.now(),
        files=[(checked, Attachment.Kind.UPLOAD) for checked in files],
    )
    return proposal
