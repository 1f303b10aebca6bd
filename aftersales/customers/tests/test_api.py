"""The customer endpoints under /api/v1/customers (P4)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.customers import services
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.tests.factories import edit_customer, make_customer

pytestmark = pytest.mark.django_db
API = "/api/v1/customers/"


def body(**overrides):
    return {"name": "孙七", "email": "sun.qi@example.com", "phone": "138 1234 5678"} | overrides


def error(response):
    data = response.json()
    assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "fields"}, data
    return data["error"]


def test_a_customer_is_created_and_read_back(client_for, worker):
    client = client_for(worker)

    created = client.post(API, body(), content_type="application/json")

    assert created.status_code == 201, created.content
    data = created.json()
    assert data["name"] == "孙七"
    assert {(c["kind"], c["value"]) for c in data["contacts"]} == {
        ("email", "sun.qi@example.com"),
        ("phone", "138 1234 5678"),
    }
    assert data["version"] == 1 and data["anonymised"] is False
    assert client.get(f"{API}{data['id']}").json() == data


def test_a_known_email_is_refused_with_409_naming_the_customer_and_nothing_is_written(
    client_for, worker
):
    existing = make_customer(name="周八", email="zhou.ba@example.com", phone="")
    before = (Customer.objects.count(), ContactPoint.objects.count())

    response = client_for(worker).post(
        API, body(email="ZHOU.BA@example.com ", phone=""), content_type="application/json"
    )

    assert response.status_code == 409
    err = error(response)
    assert err["code"] == "duplicate_customer"
    assert f"#{existing.pk}" in err["message"] and "周八" in err["message"]
    assert set(err["fields"]) == {"email"}
    assert (Customer.objects.count(), ContactPoint.objects.count()) == before


def test_an_invalid_email_is_refused_naming_the_field(client_for, worker):
    response = client_for(worker).post(
        API, body(email="sun.qi(at)example.com"), content_type="application/json"
    )

    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "invalid_contact"
    assert set(err["fields"]) == {"email"}
    assert Customer.objects.count() == 0


def test_a_malformed_body_is_422_invalid_with_each_field_named(client_for, worker):
    response = client_for(worker).post(
        API,
        {"email": "a@example.com", "kind": "robot", "preferred_language": "fr"},
        content_type="application/json",
    )

    assert response.status_code == 422
    err = error(response)
    assert err["code"] == "invalid"
    assert {"name", "kind", "preferred_language"} <= set(err["fields"])


def test_an_update_with_a_stale_seen_version_answers_409(client_for, worker, cs_manager):
    customer = make_customer(name="Before")
    seen = customer.version
    edit_customer(customer, by=cs_manager, name="First")

    response = client_for(worker).put(
        f"{API}{customer.pk}",
        body(name="Second", email=customer.email, phone=customer.phone, seen_version=seen),
        content_type="application/json",
    )

    assert response.status_code == 409
    assert error(response)["code"] == "changed"
    assert Customer.objects.get(pk=customer.pk).name == "First"


def test_an_update_must_say_which_version_it_read(client_for, worker):
    customer = make_customer()

    response = client_for(worker).put(
        f"{API}{customer.pk}", body(), content_type="application/json"
    )

    assert response.status_code == 422
    assert "seen_version" in error(response)["fields"]


def test_an_update_with_the_current_version_is_saved(client_for, worker):
    customer = make_customer(email="keep@example.com", phone="")

    response = client_for(worker).put(
        f"{API}{customer.pk}",
        body(name="Renamed", email="keep@example.com", phone="", seen_version=customer.version),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed"
    assert response.json()["version"] == customer.version + 1


def test_an_unknown_customer_answers_404_in_the_error_shape(client_for, worker):
    client = client_for(worker)

    assert error(client.get(f"{API}424242"))["code"] == "not_found"
    response = client.put(f"{API}424242", body(seen_version=1), content_type="application/json")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_anonymising_through_the_api_needs_the_permission_and_a_reason(
    client_for, worker, cs_manager
):
    customer = make_customer(name="Private")
    url = f"{API}{customer.pk}/anonymise"

    refused = client_for(worker).post(url, {"reason": "asked"}, content_type="application/json")
    no_reason = client_for(cs_manager).post(url, {"reason": ""}, content_type="application/json")
    assert (refused.status_code, error(refused)["code"]) == (403, "forbidden")
    assert (no_reason.status_code, error(no_reason)["code"]) == (422, "invalid")
    assert Customer.objects.get(pk=customer.pk).name == "Private"

    done = client_for(cs_manager).post(
        url, {"reason": "Letter of 1 March"}, content_type="application/json"
    )

    assert done.status_code == 200
    assert done.json()["anonymised"] is True
    assert "Private" not in done.content.decode()
    assert done.json()["contacts"] == [
        {"kind": "email", "value": services.ANONYMISED_VALUE},
        {"kind": "phone", "value": services.ANONYMISED_VALUE},
    ]


def test_an_anonymised_customer_cannot_be_changed_through_the_api(client_for, worker, cs_manager):
    customer = make_customer()
    services.customer_anonymise(customer=customer, by=cs_manager, reason="request")
    customer.refresh_from_db()

    response = client_for(worker).put(
        f"{API}{customer.pk}", body(seen_version=customer.version), content_type="application/json"
    )

    assert response.status_code == 400
    assert error(response)["code"] == "anonymised"


def test_outsiders_are_refused_every_customer_endpoint(client_for, outsider):
    customer = make_customer()
    client = client_for(outsider)

    responses = [
        client.get(API),
        client.get(f"{API}{customer.pk}"),
        client.post(API, body(email="new@example.com", phone=""), content_type="application/json"),
        client.put(f"{API}{customer.pk}", body(seen_version=1), content_type="application/json"),
    ]

    assert [(r.status_code, error(r)["code"]) for r in responses] == [(403, "forbidden")] * 4
    assert Customer.objects.count() == 1


# --- cursor pagination ------------------------------------------------------------------


def walk(client, url, limit):
    ids, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        ids += [row["id"] for row in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        pages += 1
        if cursor is None:
            return ids, pages


@pytest.mark.parametrize("limit", [1, 7, 23, 100])
def test_walking_the_pages_returns_every_customer_exactly_once_newest_first(
    client_for, worker, limit
):
    made = [make_customer().pk for _ in range(23)]

    ids, pages = walk(client_for(worker), API, limit)

    assert ids == sorted(made, reverse=True)
    assert pages == max(1, -(-23 // limit))


def test_a_row_added_while_paging_does_not_shift_or_repeat_rows(client_for, worker):
    made = [make_customer().pk for _ in range(6)]
    client = client_for(worker)

    first = client.get(API, {"limit": 3}).json()
    make_customer()  # newer than every row: it belongs before the first page
    second = client.get(API, {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [r["id"] for r in first["items"] + second["items"]] == sorted(made, reverse=True)


@pytest.mark.parametrize(
    "cursor", ["garbage!", "eyJwayI6IC0xfQ", "eyJwayI6IHRydWV9", "W10", "eyJwayI6ICIxIn0"]
)
def test_a_bad_cursor_is_refused_with_invalid_cursor(client_for, worker, cursor):
    # -1, true, [] and "1" as the pk, besides something that is not base64 JSON at all.
    response = client_for(worker).get(API, {"cursor": cursor})

    # 400: any text fits the documented parameter (issue 7 item 7).
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_cursor"


def test_a_limit_out_of_range_is_a_validation_error(client_for, worker):
    response = client_for(worker).get(API, {"limit": 1000})

    assert response.status_code == 422
    assert "limit" in error(response)["fields"]


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(API, {"limit": 50})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_1_and_30_customers(client_for, worker):
    client = client_for(worker)
    client.get(API)  # the session and permission caches are warm in both counts below
    make_customer(postal_address="上海市 1 号")
    one = list_queries(client)
    for _ in range(29):
        customer = make_customer(postal_address="上海市 2 号")
        edit_customer(customer, by=worker, notes="called")

    thirty = list_queries(client)

    assert len(client.get(API, {"limit": 50}).json()["items"]) == 30
    assert thirty == one
    # session, user, profile (language), permissions (3), customers, contacts
    assert one <= 8
