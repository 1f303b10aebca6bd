"""What the regulation keeps is added once and never changed or deleted:
the proposal's events, reserve extensions (P9) and committee scores (P11)."""

import pytest

from aftersales.core.errors import DomainError
from aftersales.proposals.models import ProposalEvent, ReserveExtension, Score
from aftersales.proposals.tests.factories import make_proposal

pytestmark = pytest.mark.django_db


def test_a_proposal_event_cannot_be_rewritten_or_deleted():
    event = make_proposal().events.get()
    event.note = "rewritten"

    with pytest.raises(DomainError) as changed:
        event.save()
    with pytest.raises(DomainError):
        event.delete()

    assert changed.value.code == "records_kept"
    assert ProposalEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.parametrize("model", [ReserveExtension, Score])
def test_p9_p11_extensions_and_scores_refuse_change_and_delete(model):
    row = model(pk=1)
    row._state.adding = False  # as if read from the database

    with pytest.raises(DomainError):
        row.save()
    with pytest.raises(DomainError):
        row.delete()
    with pytest.raises(DomainError):
        model.objects.all().delete()
