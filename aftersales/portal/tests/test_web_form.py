"""P4: the public web form — intake, consent, spam control, files by content."""

import re

import pytest
from django.utils import timezone

from aftersales.customers.models import Customer
from aftersales.notifications.models import Message
from aftersales.portal.tests.helpers import (
    FORM_URL,
    png_bytes,
    policy_today,
    submit,
    upload,
    windows_executable,
)
from aftersales.proposals.models import Attachment, Channel, Proposal

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return (
        Proposal.objects.count() == 0
        and Customer.objects.count() == 0
        and Attachment.objects.count() == 0
        and Message.objects.count() == 0
    )


def test_p4_form_page_shows_notice_in_both_languages_and_hidden_honeypot(client):
    response = client.get(FORM_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="notice"') == 2
    assert 'lang="en" class="notice"' in html and 'lang="zh-hans" class="notice"' in html
    assert "How long we keep it" in html
    # The honeypot is hidden by the stylesheet, not an inline style (CSP).
    assert 'class="portal-hp" aria-hidden="true"' in html
    assert "style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_p4_web_form_creates_proposal_and_acknowledges(
    client, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            client,
            files=[upload("照片.png", png_bytes(), "image/png")],
            phone="138 0013 8000",
        )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.channel == Channel.WEB
    assert proposal.title == "建议延长保修期"
    assert proposal.consent_at is not None
    assert abs((timezone.now() - proposal.consent_at).total_seconds()) < 60
    assert proposal.customer.name == "张三"
    assert {c.normalized for c in proposal.customer.contacts.all()} == {
        "zhangsan@example.com",
        "+8613800138000",
    }
    attachment = proposal.attachments.get()
    assert (attachment.kind, attachment.content_type) == (Attachment.Kind.UPLOAD, "image/png")
    assert attachment.file.read() == png_bytes()

    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert proposal.reference in page.content.decode()
    assert "acknowledgement carrying this reference has been sent" in page.content.decode()

    # The acknowledgement with the reference arrived at the SMTP server.
    (mail,) = smtp_server.accepted
    assert mail["To"].addresses[0].addr_spec == "zhangsan@example.com"
    assert proposal.reference in mail["Subject"]
    assert proposal.reference in mail.get_body(("plain",)).get_content()


def test_p4_a_refused_proposal_leaves_no_customer_behind():
    """The customer is created first; when the proposal is then refused, the
    one transaction takes the customer back with it (nothing half-written)."""
    from aftersales.core.errors import DomainError
    from aftersales.portal.services import portal_submit

    with pytest.raises(DomainError) as refused:
        portal_submit(
            name="王五",
            email="wangwu@example.com",
            phone="",
            language="zh-hans",
            title="",
            content="内容",
            files=[],
        )
    assert refused.value.code == "fields_required"
    assert _nothing_stored()


def test_p4_existing_customer_is_found_not_duplicated(client):
    submit(client, email="li@example.com", name="李四")
    submit(client, email="LI@example.com", name="李四", title="第二个建议")
    assert Customer.objects.count() == 1
    assert Proposal.objects.filter(customer__name="李四").count() == 2


def test_p4_filled_honeypot_looks_like_success_and_stores_nothing(client):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 200
    assert 'id="thanks"' in response.content.decode()
    assert _nothing_stored()


def test_p4_consent_is_required(client):
    response = submit(client, consent=None, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "We can only take your proposal with your agreement to this notice." in html
    # What was typed is still there.
    assert "建议延长保修期" in html and "希望把保修期从一年延长到两年" in html
    assert _nothing_stored()


def test_p4_contact_is_required_and_bad_input_is_reported_in_the_visitors_language(client):
    response = client.post(
        FORM_URL,
        {"name": "", "email": "", "phone": "", "title": "标题", "content": "内容", "consent": "on"},
        REMOTE_ADDR="198.51.100.8",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    html = response.content.decode()
    assert "这个字段是必填项。" in html  # Django's own "This field is required."
    assert "标题" in html and "内容" in html
    response = client.post(
        FORM_URL,
        {"name": "Ann", "email": "not-an-address", "title": "T", "content": "C", "consent": "on"},
        REMOTE_ADDR="198.51.100.8",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "is not a valid email address." in html
    assert "not-an-address" in html
    response = client.post(
        FORM_URL,
        {"name": "Ann", "title": "T", "content": "C", "consent": "on"},
        REMOTE_ADDR="198.51.100.8",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Give an email address or a phone number" in response.content.decode()
    assert _nothing_stored()


def test_p4_executable_renamed_pdf_is_refused_by_its_content(client):
    response = submit(
        client,
        files=[upload("invoice.pdf", windows_executable(), "application/pdf")],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "invoice.pdf" in html and "is not a document, picture or text file" in html
    assert "建议延长保修期" in html
    assert 'id="choose-files-again"' in html
    assert _nothing_stored()


def test_p4_png_named_txt_is_accepted_as_png(client):
    response = submit(client, files=[upload("notes.txt", png_bytes(), "text/plain")])
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name.endswith(".png")


def test_p4_file_over_the_policy_size_is_refused(client):
    policy_today(attachment_max_mb=1)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    response = submit(client, files=[upload("big.pdf", big)], HTTP_ACCEPT_LANGUAGE="en")
    assert "is larger than 1 MB" in response.content.decode()
    assert _nothing_stored()


def test_p4_one_bad_file_among_good_ones_stores_nothing(client):
    response = submit(
        client,
        files=[upload("a.png", png_bytes()), upload("b.pdf", windows_executable())],
    )
    assert response.status_code == 200
    assert _nothing_stored()


def test_p4_submissions_per_ip_are_limited(client):
    policy_today(portal_submissions_per_ip_per_hour=2)
    assert submit(client, ip="203.0.113.5", email="a1@example.com").status_code == 302
    assert submit(client, ip="203.0.113.5", email="a2@example.com").status_code == 302
    response = submit(client, ip="203.0.113.5", email="a3@example.com", title="第三个：不会保存")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="rate-limited"' in html
    assert 'lang="en"' in html and 'lang="zh-hans"' in html
    assert "Too many proposals" in html
    # What was typed is kept for later.
    assert "第三个：不会保存" in html and "a3@example.com" in html
    assert Proposal.objects.count() == 2
    assert not Customer.objects.filter(contacts__normalized="a3@example.com").exists()
    # Another address is not held back.
    assert submit(client, ip="203.0.113.6", email="a3@example.com").status_code == 302


def test_p4_submissions_per_address_are_limited_whatever_the_ip(client):
    policy_today(portal_submissions_per_address_per_hour=2)
    assert submit(client, ip="203.0.113.10", email="same@example.com").status_code == 302
    assert submit(client, ip="203.0.113.11", email="same@example.com").status_code == 302
    response = submit(client, ip="203.0.113.12", email="SAME@example.com")
    assert response.status_code == 429
    assert Proposal.objects.count() == 2
    # The phone number is its own address.
    assert submit(client, ip="203.0.113.13", email="", phone="13900139000").status_code == 302
    assert submit(client, ip="203.0.113.14", email="", phone="139 0013 9000").status_code == 302
    response = submit(client, ip="203.0.113.15", email="new@example.com", phone="+86 139 0013 9000")
    assert response.status_code == 429
    assert Proposal.objects.count() == 4


def test_p4_refused_posts_count_against_the_ip(client):
    policy_today(portal_submissions_per_ip_per_hour=2)
    submit(client, ip="203.0.113.20", consent=None)
    submit(client, ip="203.0.113.20", website="spam")
    assert submit(client, ip="203.0.113.20").status_code == 429
    assert _nothing_stored()
