"""P7 and P10: after adoption — implementation done, and the development
mode (company or joint, with an agreement reference)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.proposals.actions import require_may, require_state
from aftersales.proposals.models import (
    PROPOSAL_FLOW,
    DevelopmentMode,
    Proposal,
    ProposalEvent,
    Status,
)
from aftersales.proposals.services.common import (
    CONTENT_MAX,
    _clean_text,
    _decision_notice,
    _event,
    _required,
)

# --- P7 / P10: after adoption ----------------------------------------------


@transaction.atomic
def proposal_implemented(
    *, proposal: Proposal, by, note: str = "", seen_version: int | None
) -> Proposal:
    """P7: implementation done; the customer is told."""
    require_may(by, proposal, "implemented")
    note = _clean_text(note, field="note", max_length=CONTENT_MAX)
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "implemented")
    proposal.implemented_at = timezone.now()
    proposal.implemented_by = by
    proposal.implementation_note = note
    PROPOSAL_FLOW.move(
        proposal,
        Status.IMPLEMENTED,
        by=by,
        note=note,
        fields=("implemented_at", "implemented_by", "implementation_note"),
    )
    _decision_notice(
        "proposals/proposal_implemented",
        proposal,
        {
            "measures": proposal.improvement_measures,
            "note": note,
            "done_date": timezone.localtime(proposal.implemented_at).date(),
        },
        by=by,
    )
    return proposal


def _check_development(mode: str, agreement_reference: str) -> None:
    if mode and mode not in DevelopmentMode.values:
        raise DomainError(
            "invalid_mode", _("Unknown development mode."), fields={"development_mode": ""}
        )
    if mode == DevelopmentMode.JOINT and not (agreement_reference or "").strip():
        # P10: joint development is settled by an agreement between the two sides.
        raise DomainError(
            "p10_agreement_required",
            _("Joint development needs the reference of the agreement with the customer (P10)."),
            fields={"agreement_reference": _("Required for joint development.")},
        )


@transaction.atomic
def proposal_set_development(
    *,
    proposal: Proposal,
    by,
    development_mode: str,
    agreement_reference: str = "",
    seen_version: int | None,
) -> Proposal:
    """P10: the development mode of an adopted proposal."""
    require_may(by, proposal, "development")
    _required({"development_mode": development_mode})
    agreement_reference = _clean_text(
        agreement_reference, field="agreement_reference", max_length=100
    )
    _check_development(development_mode, agreement_reference)
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "development")
    proposal.development_mode = development_mode
    proposal.agreement_reference = agreement_reference
    proposal.save(update_fields={"development_mode", "agreement_reference"})
    _event(
        proposal,
        ProposalEvent.Kind.DEVELOPMENT,
        by=by,
        note=agreement_reference,
        mode=development_mode,
    )
    return proposal
