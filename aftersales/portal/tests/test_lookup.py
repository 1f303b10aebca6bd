"""The customer's view of a proposal: look-up by reference and contact, the
signed link from a notice, certificates (P4, P7-P9, P12). Never another
customer's data, never what only staff see."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.services import notify
from aftersales.portal.tests.helpers import LOOKUP_URL, policy_today, submit
from aftersales.proposals import services
from aftersales.proposals.links import SALT, certificate_token, portal_token
from aftersales.proposals.models import Certificate, Proposal
from aftersales.proposals.tests.factories import (
    adopted,
    fresh,
    make_department,
    make_proposal,
    studied,
)

pytestmark = pytest.mark.django_db

CONTENT = "请在门店增加自助取号机。"


def _lookup(client, reference, contact, ip="192.0.2.1", **extra):
    return client.post(
        LOOKUP_URL, {"reference": reference, "contact": contact}, REMOTE_ADDR=ip, **extra
    )


@pytest.fixture
def team(make_staff, cs_manager):
    specialist = make_staff("spec", Role.AFTERSALES_SPECIALIST, display_name="Specialist Wang")
    manager = make_staff("rdmgr", Role.DEPARTMENT_MANAGER, display_name="Manager Zhou")
    return {
        "specialist": specialist,
        "decider": cs_manager,
        "departments": [make_department(manager=manager, name="研发部", code="rd")],
    }


def test_p7_lookup_shows_status_decision_and_notices_but_nothing_internal(client, team):
    customer = make_customer(email="wang@example.com", name="王五")
    proposal = adopted(
        make_proposal(customer=customer, content=CONTENT),
        by=team["specialist"],
        decider=team["decider"],
        departments=team["departments"],
    )
    response = _lookup(client, proposal.reference.lower(), " WANG@example.com ")
    assert response.status_code == 200
    html = response.content.decode()
    assert proposal.reference in html and CONTENT in html
    assert 'id="status">' in html
    # P7: the planned date and the measures, as the notice said.
    assert "退货审批由三级改为一级。" in html
    assert 'data-status="adopted"' in html and 'data-status="received"' in html
    assert 'data-status="accepted"' in html and 'data-status="under_study"' in html
    # The notices sent to the customer about it: acknowledgement and adoption.
    subjects = [m.subject for m in proposal.customer.messages.all()]
    assert len(subjects) == 2 and all(s in html for s in subjects)
    # Never internal: the study opinion, the acceptance summary, who did what.
    assert "可行，建议采用。" not in html
    assert "简化退货流程" not in html
    for name in ("Specialist Wang", "Manager Zhou", "Csmanager", "spec", "rdmgr"):
        assert name not in html


def test_p8_not_adopted_shows_the_answer_and_p9_reserved_shows_reason_and_date(client, team):
    customer = make_customer(email="zhao@example.com")
    first = studied(
        make_proposal(customer=customer, content=CONTENT),
        by=team["specialist"],
        departments=team["departments"],
    )
    services.proposal_not_adopt(
        proposal=first, by=team["decider"], note="成本过高，暂不考虑。", seen_version=first.version
    )
    second = studied(
        make_proposal(customer=customer, content=CONTENT),
        by=team["specialist"],
        departments=team["departments"],
    )
    decide_by = timezone.localdate() + timedelta(days=20)
    services.proposal_reserve(
        proposal=second,
        by=team["decider"],
        reason="需要等待新系统上线。",
        decide_by=decide_by,
        seen_version=second.version,
    )
    html = _lookup(client, first.reference, "zhao@example.com").content.decode()
    assert "成本过高，暂不考虑。" in html and 'data-status="not_adopted"' in html
    html = _lookup(client, second.reference, "zhao@example.com").content.decode()
    assert "需要等待新系统上线。" in html and 'data-status="reserved"' in html
    assert f'datetime="{decide_by.isoformat()}' not in html  # shown as a date, not a time
    assert str(decide_by.day) in html


def test_p4_lookup_never_shows_another_customers_proposal(client):
    mine = make_customer(email="mine@example.com", phone="13800000001")
    theirs = make_customer(email="theirs@example.com", phone="13800000002")
    secret = make_proposal(customer=theirs, title="别人的秘密提案", content="别人写的内容")
    wrong_pair = _lookup(client, secret.reference, "mine@example.com")
    by_phone = _lookup(client, secret.reference, "138 0000 0001")
    missing = _lookup(client, "P-2000-999999", "mine@example.com")
    for response in (wrong_pair, by_phone, missing):
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="not-found"' in html
        assert "别人的秘密提案" not in html and "别人写的内容" not in html
    # No oracle: a wrong pair reads exactly like a reference that does not exist.
    strip = lambda r: re.sub(  # noqa: E731
        r'value="[^"]*"', "", re.sub(r"csrfmiddlewaretoken[^>]*>", "", r.content.decode())
    )
    assert strip(wrong_pair) == strip(missing)
    assert mine.pk != theirs.pk
    # The right pair works, by email or by phone.
    assert "别人的秘密提案" in _lookup(client, secret.reference, "13800000002").content.decode()


def test_p4_lookup_of_an_anonymised_customer_finds_nothing(client, cs_manager):
    from aftersales.customers.services import customer_anonymise

    customer = make_customer(email="gone@example.com")
    proposal = make_proposal(customer=customer)
    customer_anonymise(customer=customer, by=cs_manager, reason="客户要求删除")
    response = _lookup(client, proposal.reference, "gone@example.com")
    assert 'id="not-found"' in response.content.decode()
    token = portal_token(proposal)
    assert client.get(reverse("portal:proposal_signed", args=[token])).status_code == 404


def test_p4_lookups_are_rate_limited_per_ip(client):
    policy_today(portal_lookups_per_ip_per_hour=3)
    customer = make_customer(email="rl@example.com")
    proposal = make_proposal(customer=customer)
    for n in range(3):
        assert (
            _lookup(client, f"P-2000-00000{n}", "rl@example.com", ip="192.0.2.50").status_code
            == 200
        )
    # Even the right pair is refused once the limit is reached.
    response = _lookup(client, proposal.reference, "rl@example.com", ip="192.0.2.50")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="rate-limited"' in html and proposal.title not in html
    assert proposal.reference in html  # what was typed stays in the form
    # Another address is not held back.
    other = _lookup(client, proposal.reference, "rl@example.com", ip="192.0.2.51")
    assert other.status_code == 200 and proposal.title in other.content.decode()


def test_p4_signed_link_opens_the_proposal_page(client):
    proposal = make_proposal(customer=make_customer(email="link@example.com"), content=CONTENT)
    response = client.get(reverse("portal:proposal_signed", args=[portal_token(proposal)]))
    assert response.status_code == 200
    assert CONTENT in response.content.decode()
    # The acknowledgement's own link is the same kind of link.
    ack = proposal.customer.messages.get()
    path = re.search(r"(/portal/p/[^/\s]+/)", ack.body).group(1)
    assert CONTENT in client.get(path).content.decode()


def test_p4_signed_link_tampered_or_expired_or_for_another_customer_is_404(client, settings):
    proposal = make_proposal(customer=make_customer(email="t@example.com"))
    other = make_proposal(customer=make_customer(email="o@example.com"))
    token = portal_token(proposal)
    tampered = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        signing.dumps({"p": other.pk, "c": proposal.customer_id}, salt=SALT, compress=True)[:-1]
        + "x",
        # A correctly signed token whose customer is no longer the proposal's.
        signing.dumps({"p": other.pk, "c": proposal.customer_id}, salt=SALT, compress=True),
        # Signed by this site, but for another purpose.
        signing.dumps({"p": proposal.pk, "c": proposal.customer_id}, salt="other", compress=True),
        "not-a-token",
    ]
    for bad in tampered:
        response = client.get(reverse("portal:proposal_signed", args=[bad]))
        assert response.status_code == 404, bad
        html = response.content.decode()
        assert 'id="lookup-form"' in html
        assert proposal.title not in html and other.title not in html
    settings.PORTAL_LINK_MAX_AGE_DAYS = 0
    assert client.get(reverse("portal:proposal_signed", args=[token])).status_code == 404


def test_p4_signed_link_stops_when_the_proposal_moves_to_another_customer(client):
    proposal = make_proposal(customer=make_customer(email="first@example.com"))
    token = portal_token(proposal)
    Proposal.objects.filter(pk=proposal.pk).update(customer=make_customer(email="x@example.com"))
    assert client.get(reverse("portal:proposal_signed", args=[token])).status_code == 404


def _certificate(customer, number="C-2025-0001", year=2025, data=b"%PDF-1.4\n% test\n"):
    cert = Certificate(
        number=number,
        customer=customer,
        year=year,
        proposals_count=3,
        language="zh-hans",
        issued_at=timezone.now(),
    )
    cert.file.save(f"{number}.pdf", ContentFile(data), save=False)
    cert.save()
    return cert


def test_p12_certificates_are_listed_and_downloadable(client):
    customer = make_customer(email="cert@example.com")
    proposal = make_proposal(customer=customer)
    cert = _certificate(customer)
    stranger_cert = _certificate(make_customer(), number="C-2025-0002")
    html = client.get(
        reverse("portal:proposal_signed", args=[portal_token(proposal)])
    ).content.decode()
    assert "C-2025-0001" in html and "C-2025-0002" not in html
    url = re.search(r'href="(/portal/certificate/[^"]+)"', html).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n% test\n"
    assert 'filename="C-2025-0001.pdf"' in response["Content-Disposition"]
    # Someone else's certificate id under this customer's name, or a forged token.
    forged = certificate_token(type("C", (), {"pk": stranger_cert.pk, "customer_id": customer.pk}))
    assert client.get(reverse("portal:certificate", args=[forged])).status_code == 404
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert cert.pk != stranger_cert.pk


def test_p4_customer_text_and_notices_show_as_inert_text(
    client, django_capture_on_commit_callbacks
):
    hostile = '<script>alert(1)</script>\u202eevil\u200b\u200d<b>bold</b> & "q"'
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, name=hostile, title=hostile[:100], content=hostile)
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    page = client.get(reverse("portal:proposal_signed", args=[portal_token(proposal)]))
    html = page.content.decode()
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The odd characters are kept as typed, inside an element isolated from the page.
    assert re.search(r'class="user-text"[^>]*>[^<]*\u202eevil\u200b\u200d', html)
    # Every script on the page is a file; no inline style at all.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "style=" not in html
    # The notice (whose body names the customer) is shown as text too.
    assert proposal.customer.messages.filter(body__contains="<script>").exists()
    assert html.count("&lt;script&gt;") >= 3


def test_p4_proposal_page_query_count_does_not_grow_with_notices(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    customer = make_customer(email="q@example.com")
    proposal = make_proposal(customer=customer)
    url = reverse("portal:proposal_signed", args=[portal_token(proposal)])
    client.get(url)
    with django_assert_max_num_queries(10) as ctx:
        client.get(url)
    baseline = len(ctx.captured_queries)
    for n in range(5):
        notify(
            template="generic",
            context={"subject": f"s{n}", "body": "b"},
            customer=customer,
            related=proposal,
        )
        _certificate(customer, number=f"C-20{10 + n}-0001", year=2010 + n)
    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert response.content.decode().count('class="notice-message"') == 6


def test_p4_language_switch_for_anonymous_visitors(client):
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/portal/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    html = client.get("/portal/").content.decode()
    assert '<html lang="en">' in html
    assert "Send us a proposal" in html
    client.post(reverse("accounts:set_language"), {"language": "zh-hans", "next": "/portal/"})
    assert '<html lang="zh-hans">' in client.get("/portal/").content.decode()


def test_p4_form_language_is_the_proposals_language(client):
    submit(client, language="en", email="en@example.com")
    assert fresh(Proposal.objects.get()).language == "en"
