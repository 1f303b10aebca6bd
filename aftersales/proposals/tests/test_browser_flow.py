"""One proposal walked through a real Chromium, from the public web form to the
customer's adoption email at the loopback SMTP server (P4, P5, P6, P7)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from aftersales.core.roles import Role
from aftersales.proposals.models import Proposal, Status
from aftersales.proposals.tests.factories import make_department

PASSWORD = "correct horse battery staple"  # what make_staff gives everyone


# A loaded CI machine renders some pages slowly; wait for them rather than fail.
WAIT_MS = 30_000


@pytest.fixture(autouse=True)
def huey_runs_in_process(huey_immediate):
    """Notices are delivered as soon as their transaction commits."""


def in_english(label) -> str:
    # The staff here read English (their profile language).
    with translation.override("en"):
        return str(label)


def sign_in(page, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base_url}{reverse('login')}")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}{reverse('core:my_work')}", timeout=WAIT_MS)


def open_action(page, anchor: str):
    panel = page.locator(f"#{anchor}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    return panel


@pytest.mark.browser
def test_p4_to_p7_portal_form_to_adoption_email(live_server, page, make_staff, smtp_server):
    specialist = make_staff("li.na", Role.AFTERSALES_SPECIALIST, language="en")
    manager = make_staff("wu.lei", Role.DEPARTMENT_MANAGER, language="en")
    make_staff("wang.fang", Role.CS_MANAGER, language="en")
    engineering = make_department(manager=manager, code="engineering", name="技术部")
    base = live_server.url
    problems = []
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and problems.append(msg.text),
    )
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    # P4: a customer sends a proposal through the public form, without an account.
    page.goto(f"{base}{reverse('portal:index')}")
    form = page.locator("#proposal-form")
    form.locator("input[name=name]").fill("赵丽华")
    form.locator("input[name=email]").fill("zhao.lihua@example.com")
    form.locator("select[name=language]").select_option("zh-hans")
    form.locator("input[name=title]").fill("建议保修期内提供免费清洗")
    form.locator("textarea[name=content]").fill("空调在保修期内，建议每年提供一次免费清洗。")
    form.locator("input[name=consent]").check()
    form.locator("button[type=submit]").click()
    reference = page.locator("#reference").inner_text().strip()
    proposal = Proposal.objects.get(reference=reference)
    assert proposal.customer.email == "zhao.lihua@example.com"
    acknowledgement = [m for m in smtp_server.accepted if reference in m["Subject"]]
    assert acknowledgement, "the acknowledgement with the reference reached the SMTP server"

    # P5: the specialist accepts it and sends it to engineering for study.
    sign_in(page, base, specialist.username)
    page.goto(f"{base}{proposal.get_absolute_url()}")
    accept = open_action(page, "action-accept")
    accept.locator("select[name=category]").select_option("service")
    accept.locator("textarea[name=summary]").fill("保修期内免费清洗")
    accept.locator("button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_have_text(
        in_english(Status.ACCEPTED.label), timeout=WAIT_MS
    )
    route = open_action(page, "action-route")
    route.locator(f"input[name=departments][value='{engineering.pk}']").check()
    route.locator("button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_have_text(
        in_english(Status.UNDER_STUDY.label), timeout=WAIT_MS
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.UNDER_STUDY

    # P5: the engineering manager writes the study opinion.
    study = proposal.study_requests.get()
    sign_in(page, base, manager.username)
    page.goto(f"{base}{proposal.get_absolute_url()}")
    opinion = open_action(page, f"action-opinion-{study.pk}")
    opinion.locator("textarea").fill("可行：清洗可与年度保养合并。")
    opinion.locator("button[type=submit]").click()
    expect(page.locator(f"#action-opinion-{study.pk}")).to_have_count(0, timeout=WAIT_MS)

    # P6 / P7: the customer service manager adopts it with time and measures.
    sign_in(page, base, "wang.fang")
    page.goto(f"{base}{proposal.get_absolute_url()}")
    planned = timezone.localdate() + timedelta(days=30)
    adopt = open_action(page, "action-adopt")
    adopt.locator("select[name=implementing_department]").select_option(str(engineering.pk))
    adopt.locator("input[name=planned_date]").fill(planned.isoformat())
    adopt.locator("textarea[name=measures]").fill("保修期内每年免费清洗一次，与年度保养合并上门。")
    adopt.locator("button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_have_text(
        in_english(Status.ADOPTED.label), timeout=WAIT_MS
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.ADOPTED

    # The customer's email arrived, in their language, with time and measures.
    adopted = [
        m for m in smtp_server.accepted if reference in m["Subject"] and "已被采用" in m["Subject"]
    ]
    assert len(adopted) == 1
    assert "zhao.lihua@example.com" in adopted[0]["To"]
    body = adopted[0].get_body(preferencelist=("plain",)).get_content()
    assert f"{planned.year}年{planned.month}月{planned.day}日" in body
    assert "保修期内每年免费清洗一次" in body
    assert adopted[0]["Auto-Submitted"]
    assert problems == []
