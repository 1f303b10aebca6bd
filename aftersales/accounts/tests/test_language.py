"""Two languages: the browser's before sign-in, the profile's after."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from aftersales.accounts.models import StaffProfile

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)">', response.content.decode())
    assert match, "the page names no language"
    return match.group(1)


@pytest.mark.parametrize(
    ("accept", "language", "password_label"),
    [
        ("zh-Hans,zh;q=0.9,en;q=0.5", "zh-hans", "密码"),
        ("zh-CN,zh;q=0.9", "zh-hans", "密码"),
        ("en-GB,en;q=0.9", "en", "Password"),
    ],
)
def test_the_login_page_follows_the_browsers_accept_language(
    client, accept, language, password_label
):
    response = client.get(reverse("login"), headers={"accept-language": accept})

    assert response.status_code == 200
    assert page_language(response) == language
    assert response["Content-Language"] == language
    # Django's own label is translated, so this shows the catalogue is active, not just the attribute.
    assert f">{password_label}" in response.content.decode()


def test_a_signed_in_users_language_comes_from_their_profile_not_the_browser(
    client_for, make_staff
):
    english = make_staff("english", language="en")
    chinese = make_staff("chinese", language="zh-hans")

    for person, expected in ((english, "en"), (chinese, "zh-hans")):
        other = "zh-Hans" if expected == "en" else "en"
        response = client_for(person).get(
            reverse("accounts:profile"), headers={"accept-language": other}
        )
        assert page_language(response) == expected


def test_choosing_a_language_stores_it_on_the_profile_and_the_next_page_uses_it(client_for, worker):
    client = client_for(worker)
    assert page_language(client.get(reverse("core:my_work"))) == "zh-hans"

    response = client.post(
        reverse("accounts:set_language"), {"language": "en", "next": reverse("accounts:profile")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert StaffProfile.objects.get(user=worker).language == "en"
    assert page_language(client.get(reverse("accounts:profile"))) == "en"
    # A new session on another browser also starts in English.
    from django.test import Client

    elsewhere = Client(headers={"accept-language": "zh-Hans"})
    elsewhere.force_login(worker, backend="aftersales.accounts.backends.RoleBackend")
    assert page_language(elsewhere.get(reverse("core:my_work"))) == "en"


def test_an_unknown_language_changes_nothing(client_for, worker):
    client = client_for(worker)

    client.post(reverse("accounts:set_language"), {"language": "fr", "next": "/"})

    assert StaffProfile.objects.get(user=worker).language == "zh-hans"


def test_the_language_switch_never_redirects_to_another_site(client_for, worker):
    response = client_for(worker).post(
        reverse("accounts:set_language"), {"language": "en", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_a_visitor_who_chooses_a_language_keeps_it_in_a_cookie(client):
    client.post(reverse("accounts:set_language"), {"language": "en", "next": reverse("login")})

    response = client.get(reverse("login"), headers={"accept-language": "zh-Hans"})

    assert page_language(response) == "en"


def heading_in(language: str, english: str) -> str:
    with translation.override(language):
        return gettext(english)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_403_page_is_in_the_users_language(client_for, make_staff, language):
    person = make_staff(f"nobody_{language}", language=language)

    response = client_for(person).get(
        reverse("accounts:staff_list"), headers={"accept-language": "fr"}
    )

    assert response.status_code == 403
    assert page_language(response) == language
    assert f"<h1>{heading_in(language, 'Not allowed')}</h1>" in response.content.decode()


@pytest.mark.parametrize(("accept", "language"), [("zh-Hans", "zh-hans"), ("en", "en")])
def test_the_404_page_is_in_the_visitors_language(client, accept, language):
    response = client.get("/no/such/page/", headers={"accept-language": accept})

    assert response.status_code == 404
    assert page_language(response) == language
    assert f"<h1>{heading_in(language, 'Not found')}</h1>" in response.content.decode()


def test_the_404_page_of_a_signed_in_user_is_in_their_profiles_language(client_for, make_staff):
    person = make_staff("reader", language="en")

    response = client_for(person).get("/no/such/page/", headers={"accept-language": "zh-Hans"})

    assert response.status_code == 404
    assert page_language(response) == "en"
