"""The portal's one write: a proposal from the public web form (P4)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.customers.services import customer_find, customer_find_or_create
from aftersales.policy.services import policy_value
from aftersales.proposals.models import Attachment, Channel, Proposal
from aftersales.proposals.services import proposal_receive
from aftersales.proposals.uploads import CheckedFile, check_upload


def check_files(uploads) -> list[CheckedFile]:
    """Each uploaded file judged by its bytes, never by its name (P4).

    A file larger than the limit is refused after reading one byte past it,
    so an oversized upload is never held in memory whole.
    """
    max_bytes = int(policy_value("attachment_max_mb")) * 1024 * 1024
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(
                check_upload(upload.name, upload.read(max_bytes + 1), max_bytes=max_bytes)
            )
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
    now = timezone.now()
    try:
        with transaction.atomic():
            customer, _created = customer_find_or_create(
                name=name, email=email, phone=phone, preferred_language=language
            )
    except DomainError as exc:
        if exc.code != "duplicate_customer":
            raise
        # Another request added the same address a moment ago. Its message
        # names the other customer, which a public page must never show:
        # take the customer now known instead.
        customer = customer_find(email=email, phone=phone)
        if customer is None:
            raise DomainError(
                "try_again", _("Something went wrong while saving; please send it again.")
            ) from None
    return proposal_receive(
        customer=customer,
        channel=Channel.WEB,
        title=title,
        content=content,
        language=language,
        consent_at=now,
        files=[(checked, Attachment.Kind.UPLOAD) for checked in files],
    )
