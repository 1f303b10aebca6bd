"""The API's shared plumbing: one error shape, the schema, cursors (core.api)."""

import pytest
from django.test import Client

from aftersales.core.api import decode_cursor, encode_cursor
from aftersales.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_lists_the_customer_policy_and_account_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, methods in {
        "/api/v1/customers/": {"get", "post"},
        "/api/v1/customers/{customer_id}": {"get", "put"},
        "/api/v1/customers/{customer_id}/anonymise": {"post"},
        "/api/v1/policy/versions": {"get"},
        "/api/v1/policy/in-force": {"get"},
        "/api/v1/policy/drafts": {"post"},
        "/api/v1/policy/versions/{number}": {"get", "put"},
        "/api/v1/policy/versions/{number}/approve": {"post"},
        "/api/v1/accounts/me": {"get"},
        "/api/v1/accounts/tokens": {"get", "post"},
    }.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    schemes = response.json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}


def test_a_validation_error_names_each_field_in_the_error_shape(client_for, worker):
    response = client_for(worker).post(
        "/api/v1/customers/", {"kind": 3}, content_type="application/json"
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert {"name", "kind"} <= set(error["fields"])
    assert all(isinstance(message, str) and message for message in error["fields"].values())


def test_a_body_that_is_not_json_is_refused_in_the_error_shape(client_for, worker):
    response = client_for(worker).post(
        "/api/v1/customers/", "{not json", content_type="application/json"
    )

    assert response.status_code in (400, 422)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_an_unexpected_failure_answers_500_in_the_error_shape_without_a_trace(
    client_for, worker, monkeypatch
):
    from aftersales.customers import selectors

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "customer_list", broken)

    response = client_for(worker).get("/api/v1/customers/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_an_unexpected_failure_on_a_page_shows_the_500_page_without_a_trace(worker, monkeypatch):
    from aftersales.customers import selectors

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "customer_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(worker, backend="aftersales.accounts.backends.RoleBackend")

    response = client.get("/customers/")

    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert 'class="error-page"' in response.content.decode()


@pytest.mark.parametrize("pk", [1, 42, 10**12])
def test_a_cursor_reads_back_the_key_it_was_made_from(pk):
    assert decode_cursor(encode_cursor(pk)) == pk


@pytest.mark.parametrize(
    "cursor", ["", "%%%", "bm90IGpzb24", "eyJwayI6IDB9", "eyJwayI6IDEuNX0", "eyJpZCI6IDF9"]
)
def test_a_cursor_that_is_not_one_of_ours_is_refused(cursor):
    # not json, {"pk": 0}, {"pk": 1.5}, {"id": 1}
    with pytest.raises(DomainError) as exc:
        decode_cursor(cursor)
    # 400, not 422: any text fits the documented parameter (issue 7 item 7).
    assert (exc.value.code, exc.value.status) == ("invalid_cursor", 400)
