"""Security headers, no inline script, sign-in lock-out, health check."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from aftersales.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.fixture
def main_pages(worker, administrator, general_manager):
    customer = make_customer()
    return [
        (None, reverse("login")),
        (worker, reverse("core:my_work")),
        (worker, reverse("customers:list")),
        (worker, customer.get_absolute_url()),
        (worker, reverse("customers:create")),
        (worker, reverse("customers:edit", args=[customer.pk])),
        (worker, reverse("accounts:profile")),
        (worker, reverse("policy:list")),
        (general_manager, reverse("policy:detail", args=[1])),
        (administrator, reverse("accounts:staff_list")),
        (administrator, reverse("accounts:staff_detail", args=[worker.pk])),
        (administrator, reverse("accounts:staff_create")),
        (worker, "/no/such/page/"),
    ]


def test_every_main_page_sends_a_strict_content_security_policy(client, client_for, main_pages):
    for user, url in main_pages:
        response = (client_for(user) if user else client).get(url)
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], url
        assert (
            "'unsafe-inline'" not in policy["script-src"]
            and "'unsafe-eval'" not in policy["script-src"]
        )
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_no_page_carries_an_inline_script(client, client_for, main_pages):
    for user, url in main_pages:
        html = (client_for(user) if user else client).get(url).content.decode()
        scripts = SCRIPT_TAG.findall(html)
        assert scripts, f"{url}: no script at all? the check would prove nothing"
        for attributes, body in scripts:
            assert "src=" in attributes and not body.strip(), (
                f"{url}: inline <script{attributes}>{body[:60]}"
            )
        # Event-handler attributes are inline script too (hx-headers is data, not script).
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), url


def test_the_api_sends_a_content_security_policy_too(client_for, worker):
    response = client_for(worker).get("/api/v1/accounts/me")

    assert "'unsafe-inline'" not in directives(response["Content-Security-Policy"]).get(
        "script-src", []
    )


def test_the_login_locks_after_the_failure_limit_and_shows_the_locked_out_page(client, worker):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = client.post(
            reverse("login"), {"username": "worker", "password": "wrong password"}
        )
        assert response.status_code == 200  # the form again, with its error

    locked = client.post(reverse("login"), {"username": "worker", "password": "wrong password"})
    also_with_the_right_password = client.post(
        reverse("login"), {"username": "worker", "password": "correct horse battery staple"}
    )

    for response in (locked, also_with_the_right_password):
        assert response.status_code == 429
        assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_a_lock_out_is_per_user_name_and_address_so_others_still_sign_in(
    client, worker, cs_manager
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "worker", "password": "wrong password"})

    response = client.post(
        reverse("login"), {"username": "csmanager", "password": "correct horse battery staple"}
    )

    assert response.status_code == 302


def test_healthz_answers_without_signing_in_and_is_never_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405
