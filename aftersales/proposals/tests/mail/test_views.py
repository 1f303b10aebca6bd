"""P4: staff see every inbound mail and the quarantine, download the raw
message and retry it; nobody else does."""

import pytest
from django.urls import reverse

from aftersales.proposals.mail.intake import mail_intake
from aftersales.proposals.models import InboundMail, Proposal
from aftersales.proposals.tests.mail import samples

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome


def intake(raw: bytes):
    return mail_intake(raw, source=InboundMail.Source.IMAP)


def test_p4_staff_see_the_quarantine_with_its_error(client_for, cs_manager):
    quarantined = intake(samples.malformed_mail()).inbound
    created = intake(samples.gbk_mail()).proposal
    client = client_for(cs_manager)

    page = client.get(reverse("proposals:mail_list"), {"outcome": "quarantined"})
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("proposals:mail_detail", args=[quarantined.pk]) in text
    assert "no_sender" in text
    assert created.reference not in text

    everything = client.get(reverse("proposals:mail_list")).content.decode()
    assert created.reference in everything and "关于退货流程的建议" in everything


def test_p4_customer_text_in_mail_shows_as_inert_text(client_for, cs_manager):
    raw = samples.mail(
        "Subject: <script>alert(1)</script>",
        "Content-Type: text/plain; charset=utf-8",
        body="<img src=x onerror=alert(2)>",
    )
    inbound = intake(raw).inbound
    assert inbound.outcome == Outcome.QUARANTINED  # no sender
    page = client_for(cs_manager).get(reverse("proposals:mail_detail", args=[inbound.pk]))
    text = page.content.decode()
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(2)&gt;" in text


def test_p4_the_raw_message_is_downloaded_only_after_a_permission_check(
    client_for, cs_manager, worker
):
    raw = samples.big5_mail()
    inbound = intake(raw).inbound
    url = reverse("proposals:mail_raw", args=[inbound.pk])
    response = client_for(cs_manager).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == raw
    assert f"mail-{inbound.pk}.eml" in response["Content-Disposition"]
    assert client_for(worker).get(url).status_code == 403


@pytest.mark.parametrize("name", ["proposals:mail_list", "proposals:mail_detail"])
def test_p4_people_without_the_permission_cannot_see_inbound_mail(client_for, worker, name):
    inbound = intake(samples.gbk_mail()).inbound
    args = [inbound.pk] if name.endswith("detail") else []
    assert client_for(worker).get(reverse(name, args=args)).status_code == 403


def test_p4_retry_button_reruns_the_intake(client_for, cs_manager, media_in_tmp):
    media_in_tmp.mkdir(parents=True, exist_ok=True)
    (media_in_tmp / "proposals").write_text("not a folder")
    inbound = intake(samples.attachment_mail()).inbound
    assert inbound.outcome == Outcome.QUARANTINED
    client = client_for(cs_manager)
    detail = client.get(reverse("proposals:mail_detail", args=[inbound.pk])).content.decode()
    assert reverse("proposals:mail_retry", args=[inbound.pk]) in detail
    assert "请看附件中的建议书。" in detail  # the text as read, to judge the mail by

    (media_in_tmp / "proposals").unlink()
    response = client.post(reverse("proposals:mail_retry", args=[inbound.pk]))

    assert response.status_code == 302
    inbound.refresh_from_db()
    assert inbound.outcome == Outcome.CREATED and inbound.retried_by == cs_manager
    assert Proposal.objects.get() == inbound.proposal


def test_p4_retry_is_refused_to_people_without_the_permission(client_for, worker):
    inbound = intake(samples.malformed_mail()).inbound
    response = client_for(worker).post(reverse("proposals:mail_retry", args=[inbound.pk]))
    assert response.status_code == 403
    inbound.refresh_from_db()
    assert inbound.retried_at is None


def test_p4_the_inbound_mail_list_is_in_the_navigation_of_intake_staff(
    client_for, cs_manager, worker
):
    url = reverse("proposals:mail_list")
    assert url in client_for(cs_manager).get(reverse("core:my_work")).content.decode()
    assert url not in client_for(worker).get(reverse("core:my_work")).content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_p4_inbound_mail_pages_keep_a_fixed_query_count(
    client_for, cs_manager, django_assert_max_num_queries, rows
):
    for _n in range(rows):
        intake(samples.gbk_mail(sender="same@example.cn"))
    inbound = InboundMail.objects.filter(outcome=Outcome.CREATED).first()
    client = client_for(cs_manager)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("proposals:mail_list")).status_code == 200
    with django_assert_max_num_queries(7):
        detail = client.get(reverse("proposals:mail_detail", args=[inbound.pk]))
        assert detail.status_code == 200
