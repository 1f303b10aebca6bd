"""Issue 7 item 8: sign-in failures are limited per user name across
addresses (a lock-out, django-axes) and slowed per address across user names
(growing, capped delays: never a lock-out of an office behind one address).

Time passing is the stored failures growing older: every wait is checked
against the recorded attempt times, so ageing them is what the clock moving
on does, without sleeping through real delays.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client

from aftersales.accounts import throttling

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
RIGHT = "correct horse battery staple"
WRONG = "not the password"


def sign_in(username: str, password: str, address: str, **extra):
    """One attempt from a fresh browser at ``address``."""
    return Client().post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def time_passes(seconds: float) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def checked_and_refused(response) -> bool:
    """The password was checked and was wrong: the form again, no lock, no wait."""
    return response.status_code == 200 and response.context["form"].errors


def test_item8_five_failures_then_the_right_password_from_another_address_is_refused(worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("worker", WRONG, "10.0.0.1")

    response = sign_in("worker", RIGHT, "10.0.0.2")

    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_item8_failures_of_one_user_name_count_together_across_addresses(worker):
    """Moving to a new address for each guess does not start the count afresh."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in("worker", WRONG, f"10.0.1.{n + 1}")

    response = sign_in("worker", RIGHT, "10.0.2.1")

    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]


def test_item8_the_user_names_lock_out_ends_after_the_cool_off(worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("worker", WRONG, "10.0.0.1")
    time_passes(settings.AXES_COOLOFF_TIME.total_seconds() + 1)

    assert signed_in(sign_in("worker", RIGHT, "10.0.0.2"))


def test_item8_52_wrong_guesses_over_13_users_from_one_address_are_slowed_by_growing_delays(
    make_staff,
):
    users = [make_staff(f"staff{n:02d}").username for n in range(13)]
    free = settings.LOGIN_ADDRESS_FREE_FAILURES
    cap = settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS
    waits = []

    for guess in range(52):
        username = users[guess % 13]
        response = sign_in(username, WRONG, "203.0.113.7")
        if response.status_code == 429:
            # Refused before the password is looked at, with how long to wait.
            wait = int(response["Retry-After"])
            assert f"请在 {wait} 秒后再试" in response.content.decode()
            assert not AccessAttempt.objects.filter(failures_since_start__gt=4).exists()
            if not waits:
                # A second too early is still too early.
                time_passes(wait - 1)
                early = sign_in(username, WRONG, "203.0.113.7")
                assert early.status_code == 429 and early["Retry-After"] == "1"
                time_passes(1)
            else:
                time_passes(wait)
            waits.append(wait)
            response = sign_in(username, WRONG, "203.0.113.7")
        assert checked_and_refused(response), (guess, response.status_code)

    # The free failures go unslowed; each later one doubles the wait up to the cap.
    assert len(waits) == 52 - free
    assert waits[:6] == [2, 4, 8, 16, 32, 60] and set(waits[6:]) == {cap}
    # 4 guesses per user name: no name was locked; the address was only slowed.
    assert sum(waits) >= 37 * 60


def test_item8_a_different_address_is_not_slowed(worker, make_staff):
    for n in range(settings.LOGIN_ADDRESS_FREE_FAILURES + 3):
        sign_in(f"guess{n}", WRONG, "203.0.113.7")
    assert sign_in("worker", RIGHT, "203.0.113.7").status_code == 429

    assert checked_and_refused(sign_in("someone", WRONG, "198.51.100.4"))
    assert signed_in(sign_in("worker", RIGHT, "198.51.100.4"))


def test_item8_an_office_behind_one_address_signs_in_once_the_short_wait_has_passed(
    worker, make_staff
):
    colleagues = [make_staff(f"colleague{n}").username for n in range(4)]
    # A bad morning: colleagues mistype their passwords, three times each.
    for n in range(12):
        sign_in(colleagues[n % 4], WRONG, "192.0.2.10")

    waiting = sign_in("worker", RIGHT, "192.0.2.10", HTTP_ACCEPT_LANGUAGE="en")
    assert waiting.status_code == 429
    wait = int(waiting["Retry-After"])
    assert 0 < wait <= settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS
    assert (
        f"Too many failed sign-in attempts from your network. Try again in {wait} seconds."
        in waiting.content.decode()
    )
    assert "_auth_user_id" not in waiting.wsgi_request.session

    time_passes(wait)

    assert signed_in(sign_in("worker", RIGHT, "192.0.2.10"))


def test_item8_the_addresses_of_one_ipv6_network_count_as_one(worker):
    """Rotating through a /64 is one client, as for the portal's rate limits."""
    for n in range(settings.LOGIN_ADDRESS_FREE_FAILURES):
        sign_in(f"guess{n}", WRONG, f"2001:db8:5:7::{n + 1:x}")

    response = sign_in("worker", RIGHT, "2001:db8:5:7:ffff::1")

    assert response.status_code == 429
    assert response["Retry-After"] == "2"


def test_item8_the_delay_doubles_past_the_free_failures_and_never_passes_the_cap(settings):
    settings.LOGIN_ADDRESS_FREE_FAILURES = 10
    settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS = 60

    delays = [throttling.delay_seconds(n) for n in range(0, 17)]

    assert delays == [0] * 10 + [2, 4, 8, 16, 32, 60, 60]
    assert throttling.delay_seconds(10**6) == 60
