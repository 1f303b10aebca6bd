"""Issue 7 item 9: nothing behind a login may be kept by a browser or a proxy.
Every page, export, PDF, download and API answer carries ``Cache-Control:
no-store, private``; static assets keep their caching."""

import re
import uuid

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aftersales.accounts.services import api_token_create
from aftersales.core.roles import Role
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals.tests.factories import accepted, make_proposal

pytestmark = pytest.mark.django_db

# A value for each route parameter, so every route can be asked for: "1" fits
# int, str, slug and path (and is a real row's id), a UUID the uuid converter.
PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


def sample(match) -> str:
    return str(uuid.uuid4()) if match.group(1) == "uuid" else "1"


def not_stored(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def every_route(resolver=None, prefix: str = ""):
    """(path, name) of every route in the URLconf, the API's included, with
    each parameter filled by a sample value."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from every_route(entry, route)
        elif isinstance(entry, URLPattern):
            path = PARAMETER.sub(sample, route)
            yield "/" + path.lstrip("^").rstrip("$"), entry.name


@pytest.fixture
def everyone_at_once(make_staff):
    """Signed in with every role, so as many routes as possible answer 200."""
    return make_staff("allroles", *Role.values)


def test_item9_every_route_answers_a_signed_in_request_with_no_store(everyone_at_once):
    customer = make_customer()
    accepted(make_proposal(customer=customer), by=everyone_at_once)
    client = Client(raise_request_exception=False)
    client.force_login(everyone_at_once, backend="aftersales.accounts.backends.RoleBackend")

    answered, stored = {}, []
    for path, name in every_route():
        response = client.get(path)
        answered[path] = response.status_code
        if not not_stored(response):
            stored.append((path, name, response.status_code, response.get("Cache-Control")))

    assert not stored, stored
    # The walk reached real pages and API answers, not only refusals.
    ok = [p for p, status in answered.items() if status == 200]
    assert len(ok) >= 30, answered
    assert any(p.startswith("/api/v1/") for p in ok), answered


def test_item9_api_answers_to_a_token_are_not_stored(worker):
    _token, raw = api_token_create(user=worker, name="script", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for url in ("/api/v1/accounts/me", "/api/v1/customers/", "/api/v1/proposals/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not_stored(response), (url, response.get("Cache-Control"))


def test_item9_the_login_page_and_every_answer_to_it_are_not_stored(client, worker, cs_manager):
    page = client.get(reverse("login"))
    failed = client.post(reverse("login"), {"username": "worker", "password": "wrong"})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(reverse("login"), {"username": "worker", "password": "wrong"})
    signed_in = client.post(
        reverse("login"), {"username": "csmanager", "password": "correct horse battery staple"}
    )

    assert locked.status_code == 429
    for response in (page, failed, locked, signed_in):
        assert not_stored(response), (response.status_code, response.get("Cache-Control"))


@pytest.mark.pdf
def test_item9_an_xlsx_export_and_a_pdf_download_are_not_stored(client_for, cs_manager):
    proposal = accepted(make_proposal(), by=cs_manager)
    _token, raw = api_token_create(user=cs_manager, name="export", days=30)
    client = client_for(cs_manager)

    page_export = client.get(reverse("proposals:export"))
    api_export = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/proposals/export.xlsx")
    pdf = client.get(reverse("proposals:acceptance_pdf", args=[proposal.pk]))

    for response in (page_export, api_export):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert not_stored(response), response.get("Cache-Control")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert not_stored(pdf), pdf.get("Cache-Control")


def test_item9_static_assets_keep_their_caching(client):
    response = client.get(static("css/app.css"))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
