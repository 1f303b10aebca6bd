"""Each role sees and uses only what its permissions allow (core.roles)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.core.testing import arrange_status

pytestmark = pytest.mark.django_db

PERSONAS = [
    "worker",
    "quality_specialist",
    "cs_manager",
    "aftersales_manager",
    "general_manager",
    "administrator",
    "outsider",
]
STAFF = set(PERSONAS) - {"outsider"}

NAV = {
    "worker": {"core:my_work", "proposals:list", "customers:list", "policy:list"},
    "quality_specialist": {
        "core:my_work",
        "proposals:list",
        "customers:list",
        "policy:list",
        "notifications:outbox",
    },
    "cs_manager": {
        "core:my_work",
        "proposals:list",
        "proposals:certificates",
        "proposals:mail_list",
        "customers:list",
        "policy:list",
        "notifications:outbox",
    },
    "aftersales_manager": {
        "core:my_work",
        "proposals:list",
        "proposals:certificates",
        "proposals:mail_list",
        "customers:list",
        "policy:list",
        "notifications:outbox",
    },
    "general_manager": {"core:my_work", "proposals:list", "customers:list", "policy:list"},
    "administrator": {
        "core:my_work",
        "proposals:list",
        "proposals:mail_list",
        "customers:list",
        "policy:list",
        "notifications:outbox",
        "accounts:staff_list",
    },
    "outsider": {"core:my_work"},
}


def nav_links(html: str) -> dict[str, str]:
    """{url name: href} of the main navigation."""
    nav = re.search(r'<nav class="menu".*?</nav>', html, re.S)
    assert nav, "no main navigation on the page"
    return {
        name: url for url, name in re.findall(r'<a href="([^"]+)" data-nav="([^"]+)"', nav.group(0))
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_only_the_navigation_it_may_use_and_every_link_opens(
    request, client_for, persona
):
    user = request.getfixturevalue(persona)
    client = client_for(user)

    links = nav_links(client.get(reverse("core:my_work")).content.decode())

    assert set(links) == NAV[persona]
    for name, url in links.items():
        assert url == reverse(name)
        assert client.get(url).status_code == 200, name


def test_the_current_page_is_marked_in_the_navigation(client_for, worker):
    html = client_for(worker).get(reverse("customers:list")).content.decode()

    assert 'href="/customers/" data-nav="customers:list" aria-current="page"' in html
    assert 'data-nav="policy:list" aria-current' not in html


def test_only_the_closest_navigation_entry_is_current(client_for, cs_manager):
    html = client_for(cs_manager).get(reverse("proposals:certificates")).content.decode()

    assert 'data-nav="proposals:certificates" aria-current="page"' in html
    assert 'data-nav="proposals:list" aria-current' not in html


# (url, method, personas allowed). Pages that need a record use pk 1 / number 1.
PAGES = [
    ("core:my_work", [], "GET", PERSONAS),
    ("accounts:profile", [], "GET", PERSONAS),
    ("customers:list", [], "GET", STAFF),
    (
        "customers:create",
        [],
        "GET",
        {"worker", "quality_specialist", "cs_manager", "aftersales_manager"},
    ),
    ("policy:list", [], "GET", STAFF),
    ("policy:detail", [1], "GET", STAFF),
    ("policy:draft_create", [], "POST", {"aftersales_manager", "general_manager"}),
    ("accounts:staff_list", [], "GET", {"administrator"}),
    ("accounts:staff_create", [], "GET", {"administrator"}),
    ("accounts:department_list", [], "GET", {"administrator"}),
    (
        "accounts:delegation_create",
        [],
        "GET",
        {"cs_manager", "aftersales_manager", "general_manager"},
    ),
    (
        "notifications:outbox",
        [],
        "GET",
        {"quality_specialist", "cs_manager", "aftersales_manager", "administrator"},
    ),
]


@pytest.mark.parametrize(("name", "args", "method", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_refuses_the_roles_that_may_not_use_it(request, name, args, method, allowed):
    url = reverse(name, args=args)
    users = {p: request.getfixturevalue(p) for p in PERSONAS}

    for persona, user in users.items():
        client = Client()
        client.force_login(user, backend="aftersales.accounts.backends.RoleBackend")
        response = client.post(url) if method == "POST" else client.get(url)
        if persona in allowed:
            assert response.status_code in (200, 302), (persona, response.status_code)
        else:
            assert response.status_code == 403, (persona, response.status_code)
            html = response.content.decode()
            assert '<html lang="zh-hans">' in html and 'class="error-page"' in html


@pytest.mark.parametrize(("name", "args", "method", "_allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args, method, _allowed):
    url = reverse(name, args=args)

    response = client.post(url) if method == "POST" else client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


ENDPOINTS = [
    ("GET", "/api/v1/customers/", STAFF),
    ("GET", "/api/v1/policy/versions", STAFF),
    ("GET", "/api/v1/policy/in-force", STAFF),
    ("POST", "/api/v1/policy/drafts", {"aftersales_manager", "general_manager"}),
    ("GET", "/api/v1/accounts/staff", {"administrator"}),
    ("GET", "/api/v1/accounts/me", PERSONAS),
]


@pytest.mark.parametrize(
    ("method", "url", "allowed"), ENDPOINTS, ids=[f"{m} {u}" for m, u, _ in ENDPOINTS]
)
def test_each_endpoint_refuses_the_roles_that_may_not_use_it_in_the_error_shape(
    request, method, url, allowed
):
    for persona in PERSONAS:
        client = Client()
        client.force_login(
            request.getfixturevalue(persona), backend="aftersales.accounts.backends.RoleBackend"
        )
        response = client.generic(method, url)
        if persona in allowed:
            assert response.status_code in (200, 201), (persona, response.content)
        else:
            assert response.status_code == 403, persona
            body = response.json()
            assert body["error"]["code"] == "forbidden"
            assert set(body["error"]) == {"code", "message", "fields"}
        if method == "POST" and response.status_code == 201:
            # One draft at a time: withdraw it so the next allowed persona can start its own.
            from aftersales.policy.models import PolicyVersion

            arrange_status(PolicyVersion.objects.filter(status="draft"), status="withdrawn")


@pytest.mark.parametrize(
    ("method", "url", "_allowed"), ENDPOINTS, ids=[f"{m} {u}" for m, u, _ in ENDPOINTS]
)
def test_anonymous_api_calls_get_401_in_the_error_shape(client, method, url, _allowed):
    response = client.generic(method, url)

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "message": response.json()["error"]["message"],
            "fields": {},
        }
    }
    assert response.json()["error"]["message"]
