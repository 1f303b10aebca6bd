"""Personal API tokens and the accounts endpoints under /api/v1/accounts."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales.accounts import services
from aftersales.accounts.models import ApiToken
from aftersales.core.roles import Role

pytestmark = pytest.mark.django_db
ME = "/api/v1/accounts/me"


def bearer(raw: str) -> Client:
    # CSRF is enforced as in a real browser-less client: a token request must not need it.
    return Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {raw}"})


def error(response):
    data = response.json()
    assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "fields"}, data
    return data["error"]


def test_a_token_created_through_the_api_is_shown_once_and_only_its_sha256_is_stored(
    client_for, worker
):
    client = client_for(worker)

    response = client.post(
        "/api/v1/accounts/tokens", {"name": "ERP", "days": 30}, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    raw = response.json()["token"]
    assert raw.startswith("as_") and len(raw) > 40
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    stored = " ".join(str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields)
    assert raw not in stored and raw[3:] not in stored
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    listed = client.get("/api/v1/accounts/tokens")
    assert raw not in listed.content.decode()
    assert [t["name"] for t in listed.json()] == ["ERP"]


def test_a_token_authenticates_with_authorization_bearer(worker):
    _token, raw = services.api_token_create(user=worker, name="script")

    response = bearer(raw).get(ME)

    assert response.status_code == 200, response.content
    assert response.json()["username"] == "worker"
    assert response.json()["roles"] == [Role.SERVICE_WORKER]
    assert "customers.add_customer" in response.json()["permissions"]


def test_a_token_writes_without_a_csrf_token(worker):
    _token, raw = services.api_token_create(user=worker, name="intake")

    response = bearer(raw).post(
        "/api/v1/customers/",
        {"name": "From ERP", "email": "erp@example.com"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content


def test_a_session_post_without_the_csrf_token_is_refused(worker):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker, backend="aftersales.accounts.backends.RoleBackend")

    response = browser.post(
        "/api/v1/customers/",
        {"name": "Forged", "email": "forged@example.com"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert error(response)["code"] == "csrf_failed"
    from aftersales.customers.models import Customer

    assert not Customer.objects.exists()


def test_a_session_post_with_the_csrf_token_is_accepted(worker):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker, backend="aftersales.accounts.backends.RoleBackend")
    browser.get(reverse("customers:create"))  # sets the CSRF cookie, as a page would
    csrf = browser.cookies["csrftoken"].value

    response = browser.post(
        "/api/v1/customers/",
        {"name": "Real", "email": "real@example.com"},
        content_type="application/json",
        headers={"x-csrftoken": csrf},
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "case", ["revoked", "expired", "deactivated", "garbage", "other scheme", "none"]
)
def test_unusable_credentials_are_refused_with_401_in_the_error_shape(worker, administrator, case):
    token, raw = services.api_token_create(user=worker, name="script")
    headers = {"authorization": f"Bearer {raw}"}
    if case == "revoked":
        services.api_token_revoke(token=token, by=worker)
    elif case == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif case == "deactivated":
        services.staff_set_active(user=worker, active=False, by=administrator)
    elif case == "garbage":
        headers = {"authorization": "Bearer as_not-a-real-token"}
    elif case == "other scheme":
        headers = {"authorization": f"Basic {raw}"}
    else:
        headers = {}

    for response in (
        Client(headers=headers).get(ME),
        Client(headers=headers).post(
            "/api/v1/customers/",
            {"name": "x", "email": "x@example.com"},
            content_type="application/json",
        ),
    ):
        assert response.status_code == 401
        assert error(response)["code"] == "unauthenticated"


def test_a_token_is_revoked_by_its_owner_through_the_api(worker):
    token, raw = services.api_token_create(user=worker, name="old")
    client = bearer(raw)

    response = client.post(f"/api/v1/accounts/tokens/{token.pk}/revoke")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert client.get(ME).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client_for, worker, cs_manager):
    token, raw = services.api_token_create(user=worker, name="mine")

    response = client_for(cs_manager).post(f"/api/v1/accounts/tokens/{token.pk}/revoke")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
    assert bearer(raw).get(ME).status_code == 200


def test_a_token_made_on_the_profile_page_is_shown_once(client_for, worker):
    client = client_for(worker)

    client.post(reverse("accounts:token_create"), {"name": "laptop", "days": 7})
    first = client.get(reverse("accounts:profile")).content.decode()
    second = client.get(reverse("accounts:profile")).content.decode()

    token = ApiToken.objects.get(user=worker)
    assert 'id="new-token"' in first and 'id="new-token"' not in second
    raw = first.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert bearer(raw).get(ME).status_code == 200


def test_a_token_without_a_name_is_refused_with_422(client_for, worker):
    response = client_for(worker).post(
        "/api/v1/accounts/tokens", {"name": "", "days": 0}, content_type="application/json"
    )

    assert response.status_code == 422
    assert {"name", "days"} <= set(error(response)["fields"])
    assert not ApiToken.objects.exists()


def test_the_staff_endpoint_is_for_the_administrator_and_pages_without_repeats(
    client_for, administrator, make_staff, worker
):
    for n in range(7):
        make_staff(f"staff{n}", Role.SERVICE_WORKER)

    refused = client_for(worker).get("/api/v1/accounts/staff")
    assert (refused.status_code, error(refused)["code"]) == (403, "forbidden")

    client = client_for(administrator)
    ids, cursor = [], None
    while True:
        body = client.get(
            "/api/v1/accounts/staff", {"limit": 3} | ({"cursor": cursor} if cursor else {})
        ).json()
        ids += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    from django.contrib.auth import get_user_model

    assert ids == sorted(get_user_model().objects.values_list("pk", flat=True), reverse=True)
    row = client.get("/api/v1/accounts/staff", {"limit": 100}).json()["items"][-1]
    assert (
        row["username"] == "admin"
        and row["roles"] == [Role.ADMINISTRATOR]
        and row["department"] == "aftersales"
    )


def test_the_staff_endpoint_costs_the_same_queries_for_1_and_30_people(
    client_for, administrator, make_staff
):
    client = client_for(administrator)
    client.get("/api/v1/accounts/staff")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/accounts/staff", {"limit": 100}).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for n in range(29):
        make_staff(f"p{n}", Role.SERVICE_WORKER, Role.COMMITTEE_MEMBER)
    assert count() == one
