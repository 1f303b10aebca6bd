"""The policy endpoints under /api/v1/policy (Q3, Q14, I3)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from aftersales.policy import services
from aftersales.policy.models import PolicyVersion
from aftersales.policy.tests.factories import approved_version, move_version_one_to, policy_values

pytestmark = pytest.mark.django_db
API = "/api/v1/policy"


@pytest.fixture
def draft(general_manager):
    return services.policy_draft_create(by=general_manager)


def error_code(response):
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]["code"]


def test_the_policy_in_force_today_is_version_one_with_its_defaults(client_for, worker):
    response = client_for(worker).get(f"{API}/in-force")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == 1
    assert body["status"] == "approved"
    assert body["approved_by"] is None
    assert body["values"]["reserve_max_days"] == 60
    assert body["values"]["certificate_min_proposals_per_year"] == 3


def test_the_policy_in_force_on_a_past_date_is_the_version_of_that_date(client_for, worker):
    move_version_one_to(date(2023, 1, 1))
    approved_version(date(2024, 1, 1), reserve_max_days=45)

    client = client_for(worker)

    assert client.get(f"{API}/in-force", {"on": "2023-06-01"}).json()["number"] == 1
    assert (
        client.get(f"{API}/in-force", {"on": "2024-06-01"}).json()["values"]["reserve_max_days"]
        == 45
    )
    before = client.get(f"{API}/in-force", {"on": "2022-06-01"})
    assert before.status_code == 400
    assert error_code(before) == "no_policy"
    bad = client.get(f"{API}/in-force", {"on": "June"})
    assert bad.status_code == 422
    assert error_code(bad) == "invalid"
    assert "on" in bad.json()["error"]["fields"]


def test_q3_only_the_general_manager_approves_through_the_api(
    client_for, general_manager, worker, cs_manager, aftersales_manager, outsider, draft
):
    services.policy_draft_update(
        version=draft, by=general_manager, values=policy_values(reserve_max_days=45), note="x"
    )
    url = f"{API}/versions/{draft.number}/approve"
    payload = {"effective_from": timezone.localdate().isoformat()}

    for person in (worker, cs_manager, aftersales_manager, outsider):
        response = client_for(person).post(url, payload, content_type="application/json")
        assert response.status_code == 403, person
        assert error_code(response) == "forbidden"
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT

    response = client_for(general_manager).post(url, payload, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["approved_by"] == "gm"


def test_approval_for_a_past_date_is_refused_through_the_api(client_for, general_manager, draft):
    services.policy_draft_update(
        version=draft, by=general_manager, values=policy_values(), note="x"
    )
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client_for(general_manager).post(
        f"{API}/versions/{draft.number}/approve",
        {"effective_from": yesterday.isoformat()},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert error_code(response) == "effective_in_past"
    assert "effective_from" in response.json()["error"]["fields"]


def test_a_draft_update_with_invalid_values_names_each_bad_key_and_saves_nothing(
    client_for, aftersales_manager, draft
):
    values = policy_values(
        reserve_max_days=-1,
        reward_grades=[],
        reward_weights={"creativity": "1", "feasibility": "1", "benefit": "1"},
    )

    response = client_for(aftersales_manager).put(
        f"{API}/versions/{draft.number}",
        {"values": values, "note": "bad"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert error_code(response) == "invalid_policy"
    assert set(response.json()["error"]["fields"]) == {
        "reserve_max_days",
        "reward_grades",
        "reward_weights",
    }
    assert PolicyVersion.objects.get(pk=draft.pk).values["reserve_max_days"] == 60


def test_a_draft_update_with_a_stale_seen_version_answers_409(
    client_for, aftersales_manager, general_manager, draft
):
    seen = draft.version
    services.policy_draft_update(
        version=draft, by=general_manager, values=policy_values(reserve_max_days=50), note="gm"
    )

    response = client_for(aftersales_manager).put(
        f"{API}/versions/{draft.number}",
        {"values": policy_values(reserve_max_days=45), "note": "mine", "seen_version": seen},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert error_code(response) == "stale_version"
    assert PolicyVersion.objects.get(pk=draft.pk).values["reserve_max_days"] == 50


def test_the_current_seen_version_saves_and_returns_the_next_version(
    client_for, aftersales_manager, draft
):
    response = client_for(aftersales_manager).put(
        f"{API}/versions/{draft.number}",
        {
            "values": policy_values(reserve_max_days=45),
            "note": "mine",
            "seen_version": draft.version,
        },
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["version"] == draft.version + 1
    assert response.json()["values"]["reserve_max_days"] == 45


def test_an_approved_version_cannot_be_changed_through_the_api(client_for, general_manager):
    response = client_for(general_manager).put(
        f"{API}/versions/1",
        {"values": policy_values(reserve_max_days=1), "note": "x"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert error_code(response) == "transition_forbidden"
    assert PolicyVersion.objects.get(number=1).values["reserve_max_days"] == 60


def test_a_draft_update_without_a_reason_is_a_validation_error(
    client_for, aftersales_manager, draft
):
    client = client_for(aftersales_manager)
    url = f"{API}/versions/{draft.number}"

    missing = client.put(url, {"values": policy_values()}, content_type="application/json")
    blank = client.put(
        url, {"values": policy_values(), "note": "   "}, content_type="application/json"
    )

    assert (missing.status_code, error_code(missing)) == (422, "invalid")
    assert "note" in missing.json()["error"]["fields"]
    # A blank reason is refused by the schema, which says so (issue 7 item 7).
    assert (blank.status_code, error_code(blank)) == (422, "invalid")
    assert "note" in blank.json()["error"]["fields"]


def test_an_unknown_version_number_answers_404_in_the_error_shape(client_for, worker):
    response = client_for(worker).get(f"{API}/versions/999")

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_drafts_are_started_only_by_roles_that_may_change_the_policy(
    client_for, worker, aftersales_manager
):
    refused = client_for(worker).post(f"{API}/drafts")
    created = client_for(aftersales_manager).post(f"{API}/drafts")
    again = client_for(aftersales_manager).post(f"{API}/drafts")

    assert (refused.status_code, error_code(refused)) == (403, "forbidden")
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    assert (again.status_code, error_code(again)) == (409, "draft_exists")


def test_the_version_list_walks_every_version_once(client_for, worker):
    move_version_one_to(date(2020, 1, 1))
    for year in range(2021, 2026):
        approved_version(date(year, 1, 1))
    client = client_for(worker)

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get(f"{API}/versions", params).json()
        seen += [v["number"] for v in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break

    assert seen == [6, 5, 4, 3, 2, 1]
