"""My work shows the policy draft to those who must act on it (Q3, Q14, I3)."""

import pytest
from django.urls import reverse

from aftersales.policy.services import policy_draft_create, policy_draft_update

pytestmark = pytest.mark.django_db


def test_q3_general_manager_sees_a_draft_waiting_for_approval(
    client_for, general_manager, aftersales_manager, worker
):
    draft = policy_draft_create(by=aftersales_manager)
    policy_draft_update(
        version=draft, by=aftersales_manager, values=draft.values, note="Longer reserve"
    )

    page = client_for(general_manager).get(reverse("core:my_work")).content.decode()
    assert draft.get_absolute_url() in page
    editor_page = client_for(aftersales_manager).get(reverse("core:my_work")).content.decode()
    assert draft.get_absolute_url() in editor_page
    assert (
        draft.get_absolute_url()
        not in client_for(worker).get(reverse("core:my_work")).content.decode()
    )


def test_no_policy_section_without_a_draft(client_for, general_manager):
    page = client_for(general_manager).get(reverse("core:my_work")).content.decode()
    assert "/policy/" not in page.split("<main", 1)[1]
