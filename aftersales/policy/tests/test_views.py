"""Policy pages: who may see, edit and approve (Q3, Q14, I3)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.policy import services
from aftersales.policy.models import PolicyVersion
from aftersales.policy.tests.factories import form_data, policy_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(general_manager):
    return services.policy_draft_create(by=general_manager)


def test_every_staff_role_reads_the_policy_and_the_outsider_is_refused_in_their_language(
    client_for, worker, outsider, make_staff
):
    assert client_for(worker).get(reverse("policy:list")).status_code == 200
    assert client_for(worker).get(reverse("policy:detail", args=[1])).status_code == 200

    response = client_for(outsider).get(reverse("policy:list"))
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in response.content.decode()
    english_outsider = make_staff("visitor", language="en")
    response = client_for(english_outsider).get(reverse("policy:list"))
    assert response.status_code == 403
    assert '<html lang="en">' in response.content.decode()
    assert "Not allowed" in response.content.decode()


def test_the_policy_list_marks_the_version_in_force(client_for, worker):
    html = client_for(worker).get(reverse("policy:list")).content.decode()

    assert 'href="/policy/1/"' in html
    assert "badge ok" in html


def test_q3_only_the_general_manager_sees_and_uses_the_approve_form(
    client_for, general_manager, worker, cs_manager, aftersales_manager, outsider, draft
):
    services.policy_draft_update(
        version=draft, by=general_manager, values=policy_values(reserve_max_days=45), note="x"
    )
    url = reverse("policy:approve", args=[draft.number])
    approve_form = f'action="{url}"'
    detail = reverse("policy:detail", args=[draft.number])

    assert approve_form in client_for(general_manager).get(detail).content.decode()
    assert approve_form not in client_for(aftersales_manager).get(detail).content.decode()
    for person in (worker, cs_manager, aftersales_manager, outsider):
        response = client_for(person).post(
            url, {"effective_from": timezone.localdate().isoformat()}
        )
        assert response.status_code == 403, person
        assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT

    response = client_for(general_manager).post(
        url,
        {"effective_from": timezone.localdate().isoformat(), "seen_version": draft_version(draft)},
        follow=True,
    )
    approved = PolicyVersion.objects.get(pk=draft.pk)
    assert approved.status == PolicyVersion.Status.APPROVED
    assert approved.approved_by == general_manager
    assert response.status_code == 200


def draft_version(draft) -> str:
    return str(PolicyVersion.objects.get(pk=draft.pk).version)


def test_approving_for_a_past_date_in_the_page_shows_why_and_leaves_the_draft(
    client_for, general_manager, draft
):
    services.policy_draft_update(
        version=draft, by=general_manager, values=policy_values(), note="x"
    )
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client_for(general_manager).post(
        reverse("policy:approve", args=[draft.number]),
        {"effective_from": yesterday.isoformat()},
        follow=True,
    )

    assert response.status_code == 200
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_the_aftersales_manager_edits_a_draft_through_the_page(
    client_for, aftersales_manager, draft
):
    client = client_for(aftersales_manager)
    url = reverse("policy:edit", args=[draft.number])
    assert client.get(url).status_code == 200

    response = client.post(
        url, form_data(policy_values(reserve_max_days=45), seen_version=draft.version)
    )

    assert response.status_code == 302
    saved = PolicyVersion.objects.get(pk=draft.pk)
    assert saved.values["reserve_max_days"] == 45
    assert saved.note == "Shorter reserve"


def test_an_invalid_value_in_the_edit_page_is_shown_on_its_field_and_nothing_is_saved(
    client_for, aftersales_manager, draft
):
    bad = policy_values(
        reward_weights={"creativity": "0.5", "feasibility": "0.5", "benefit": "0.5"},
        reserve_max_days=-1,
    )
    before = PolicyVersion.objects.get(pk=draft.pk)

    response = client_for(aftersales_manager).post(
        reverse("policy:edit", args=[draft.number]), form_data(bad)
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "reserve_max_days" in form.errors
    assert "reward_weights__creativity" in form.errors
    after = PolicyVersion.objects.get(pk=draft.pk)
    assert (after.values, after.version) == (before.values, before.version)


def test_an_edit_page_sent_after_someone_else_saved_is_refused_as_a_conflict(
    client_for, aftersales_manager, general_manager, draft
):
    seen = draft.version
    services.policy_draft_update(
        version=draft, by=general_manager, values=policy_values(reserve_max_days=50), note="gm"
    )

    response = client_for(aftersales_manager).post(
        reverse("policy:edit", args=[draft.number]),
        form_data(policy_values(reserve_max_days=45), seen_version=seen),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert PolicyVersion.objects.get(pk=draft.pk).values["reserve_max_days"] == 50


def test_a_garbled_seen_version_is_a_form_error_not_a_server_error(
    client_for, aftersales_manager, draft
):
    data = form_data(policy_values(reserve_max_days=45)) | {"seen_version": "abc"}

    response = client_for(aftersales_manager).post(
        reverse("policy:edit", args=[draft.number]), data
    )

    assert response.status_code in (200, 302)


def test_an_approved_version_has_no_edit_page(client_for, aftersales_manager):
    client = client_for(aftersales_manager)

    response = client.get(reverse("policy:edit", args=[1]))
    assert response.status_code == 302
    assert response["Location"] == reverse("policy:detail", args=[1])
    response = client.post(
        reverse("policy:edit", args=[1]), form_data(policy_values(reserve_max_days=1))
    )
    assert PolicyVersion.objects.get(number=1).values["reserve_max_days"] == 60


def test_roles_without_policy_rights_cannot_open_the_edit_page_or_start_a_draft(
    client_for, worker, cs_manager, draft
):
    for person in (worker, cs_manager):
        client = client_for(person)
        assert client.get(reverse("policy:edit", args=[draft.number])).status_code == 403
        assert client.post(reverse("policy:draft_create")).status_code == 403
        assert client.post(reverse("policy:withdraw", args=[draft.number])).status_code == 403
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT


def test_starting_a_draft_from_the_page_opens_its_editor(client_for, aftersales_manager):
    response = client_for(aftersales_manager).post(reverse("policy:draft_create"))

    draft = PolicyVersion.objects.get(status=PolicyVersion.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == reverse("policy:edit", args=[draft.number])


def test_an_unknown_version_number_is_a_404_page(client_for, worker):
    response = client_for(worker).get(reverse("policy:detail", args=[999]))

    assert response.status_code == 404
    assert 'class="error-page"' in response.content.decode()
