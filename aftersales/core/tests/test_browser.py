"""A real Chromium against a live server: sign in, switch language, switch back.

Runs with a strict Content-Security-Policy (no inline script or style), so it
also shows that the pages work under it.
"""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from aftersales.core.roles import Role

PASSWORD = "correct horse battery staple"  # what make_staff gives everyone


def _translated(text: str, language: str) -> str:
    with translation.override(language):
        return gettext(text)


def _nav(page, url_name: str):
    return page.locator(f'#main-nav a[data-nav="{url_name}"]')


@pytest.mark.browser
def test_browser_login_switch_language_and_back(live_server, page, make_staff):
    user = make_staff("browser", Role.SERVICE_WORKER, language="zh-hans")
    my_work_zh = _translated("My work", "zh-hans")
    customers_zh = _translated("Customers", "zh-hans")
    assert my_work_zh != "My work", "no Chinese for 'My work' in locale/zh_Hans (make messages)"
    assert customers_zh != "Customers", (
        "no Chinese for 'Customers' in locale/zh_Hans (make messages)"
    )

    console_problems = []
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and console_problems.append(msg.text),
    )
    page.on("pageerror", lambda error: console_problems.append(f"uncaught: {error}"))

    # Given a service worker whose profile says Simplified Chinese,
    # when they sign in through the form,
    page.goto(f"{live_server.url}{reverse('login')}")
    page.locator("main input[name=username]").fill("browser")
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()

    # then they land on My work, in Chinese.
    expect(page).to_have_url(f"{live_server.url}{reverse('core:my_work')}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(_nav(page, "core:my_work")).to_have_text(my_work_zh)
    expect(_nav(page, "customers:list")).to_have_text(customers_zh)

    # When they pick English in the switcher (it submits itself, by app.js),
    page.locator("#language-select").select_option("en")

    # then the same page comes back in English, and the choice is kept.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}{reverse('core:my_work')}")
    expect(_nav(page, "core:my_work")).to_have_text("My work")
    expect(_nav(page, "customers:list")).to_have_text("Customers")
    user.profile.refresh_from_db()
    assert user.profile.language == "en"

    # When they switch back with select and button, without JavaScript,
    no_js = page.context.browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        storage_state=page.context.storage_state(),
    )
    try:
        plain = no_js.new_page()
        plain.goto(reverse("core:my_work"))
        expect(plain.locator("html")).to_have_attribute("lang", "en")
        plain.locator("#language-select").select_option("zh-hans")
        plain.locator("#language-submit").click()

        # then the menu is Chinese again.
        expect(plain.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(_nav(plain, "core:my_work")).to_have_text(my_work_zh)
        expect(_nav(plain, "customers:list")).to_have_text(customers_zh)
    finally:
        no_js.close()
    user.profile.refresh_from_db()
    assert user.profile.language == "zh-hans"

    # And the page with JavaScript follows on its next load.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(_nav(page, "core:my_work")).to_have_text(my_work_zh)

    assert console_problems == []
