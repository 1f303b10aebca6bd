"""P12: certificates of appreciation, the reading adopted by issue 3."""

from datetime import date, datetime, time

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from aftersales.core.errors import DomainError
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.policy.tests.factories import approved_version, move_version_one_to
from aftersales.proposals import certificates
from aftersales.proposals.models import Certificate, CloseReason
from aftersales.proposals.services import proposal_close
from aftersales.proposals.tests.factories import adopted, fresh, make_proposal

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The product has been installed for years: policy version 1 covers YEAR.
    move_version_one_to(date(2000, 1, 1))


def on(year: int, month: int = 3, day: int = 1) -> datetime:
    return timezone.make_aware(datetime.combine(date(year, month, day), time(10, 0)))


def sent(customer, n: int, *, year: int = YEAR, **fields):
    return [
        make_proposal(customer=customer, received_at=on(year, 1 + i % 12), **fields)
        for i in range(n)
    ]


def test_p12_qualifies_with_enough_proposals_none_adopted(cs_manager):
    customer = make_customer(name="王小明")
    sent(customer, 3)

    [certificate] = certificates.certificates_issue(year=YEAR, by=cs_manager)

    assert certificate.customer == customer
    assert certificate.number == f"C-{YEAR}-0001"
    assert (certificate.year, certificate.proposals_count) == (YEAR, 3)
    assert certificate.language == customer.preferred_language
    assert certificate.issued_by == cs_manager
    with certificate.file.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"
    notice = Message.objects.get(template="proposals/certificate_issued")
    assert notice.customer == customer
    assert certificate.number in notice.subject
    # The notice carries a signed link to the certificate in the portal.
    assert "/portal/certificate/" in notice.body


def test_p12_qualifies_not_below_the_threshold():
    sent(make_customer(), 2)
    assert certificates.certificates_issue(year=YEAR) == []


def test_p12_qualifies_not_when_one_proposal_of_the_year_was_adopted(specialist, rd, cs_manager):
    customer = make_customer()
    first, *_rest = sent(customer, 4)
    adopted(first, by=specialist, decider=cs_manager, departments=[rd])
    assert certificates.certificates_issue(year=YEAR) == []


def test_p12_qualifies_not_counting_what_was_closed_as_not_a_proposal(cs_manager):
    customer = make_customer()
    spam, *_rest = sent(customer, 3)
    proposal_close(
        proposal=spam, by=cs_manager, reason=CloseReason.SPAM, seen_version=fresh(spam).version
    )
    assert certificates.certificates_issue(year=YEAR) == []
    sent(customer, 1)
    assert [c.proposals_count for c in certificates.certificates_issue(year=YEAR)] == [3]


def test_p12_qualifies_only_with_proposals_received_in_that_year():
    customer = make_customer()
    sent(customer, 2)
    sent(customer, 1, year=YEAR - 1)
    # 1 January of the next year, just after midnight local time, is not in YEAR.
    make_proposal(
        customer=customer,
        received_at=timezone.make_aware(datetime(YEAR + 1, 1, 1, 0, 5)),
    )
    assert certificates.certificates_issue(year=YEAR) == []
    assert certificates.qualifiers(YEAR - 1) == []


def test_p12_anonymised_customers_are_skipped(cs_manager):
    from aftersales.customers.services import customer_anonymise

    customer = make_customer()
    sent(customer, 3)
    customer_anonymise(customer=customer, by=cs_manager, reason="客户要求删除个人信息")
    assert certificates.certificates_issue(year=YEAR) == []


def test_p12_running_twice_issues_nothing_twice():
    first, second = make_customer(), make_customer()
    sent(first, 3)
    sent(second, 5)

    issued = certificates.certificates_issue(year=YEAR)
    again = certificates.certificates_issue(year=YEAR)

    assert sorted(c.number for c in issued) == [f"C-{YEAR}-0001", f"C-{YEAR}-0002"]
    assert again == []
    assert Certificate.objects.count() == 2
    assert Message.objects.filter(template="proposals/certificate_issued").count() == 2


def test_p12_numbers_run_on_within_a_year_and_restart_each_year():
    early = make_customer()
    sent(early, 3, year=YEAR - 1)
    sent(early, 3)
    certificates.certificates_issue(year=YEAR - 1)
    certificates.certificates_issue(year=YEAR)
    late = make_customer()
    sent(late, 3)
    [certificate] = certificates.certificates_issue(year=YEAR)
    assert certificate.number == f"C-{YEAR}-0002"
    assert set(Certificate.objects.values_list("number", flat=True)) == {
        f"C-{YEAR - 1}-0001",
        f"C-{YEAR}-0001",
        f"C-{YEAR}-0002",
    }


def test_p12_threshold_is_the_policy_in_force_on_31_december_of_the_year():
    approved_version(date(YEAR, 6, 1), certificate_min_proposals_per_year=2)
    # A stricter policy that took effect after the year ended does not apply to it.
    approved_version(date(YEAR + 1, 1, 1), certificate_min_proposals_per_year=5)
    customer = make_customer()
    sent(customer, 2)

    [certificate] = certificates.certificates_issue(year=YEAR)

    assert certificate.customer == customer
    assert certificates.threshold(YEAR) == 2
    assert certificates.threshold(YEAR + 1) == 5


def test_p12_only_who_may_issue_certificates_runs_it_on_demand(worker, general_manager):
    sent(make_customer(), 3)
    for person in (worker, general_manager):
        with pytest.raises(PermissionDenied):
            certificates.certificates_issue(year=YEAR, by=person)
    assert not Certificate.objects.exists()


def test_p12_a_year_is_judged_once_it_is_over(cs_manager):
    with pytest.raises(DomainError) as exc:
        certificates.certificates_issue(year=YEAR + 1, by=cs_manager)
    assert exc.value.code == "p12_year_not_over"


def test_p12_one_failure_does_not_stop_the_rest(monkeypatch, caplog):
    from aftersales.proposals import documents as pdf

    broken, fine = make_customer(name="坏"), make_customer(name="好")
    sent(broken, 3)
    sent(fine, 3)
    real = pdf.certificate_pdf

    def fails_for_one(certificate, **kwargs):
        # A fault injected into one document: the renderer is real for the other.
        if certificate.customer_id == broken.pk:
            raise OSError("disk full")
        return real(certificate, **kwargs)

    monkeypatch.setattr(pdf, "certificate_pdf", fails_for_one)

    issued = certificates.certificates_issue(year=YEAR)

    assert [c.customer for c in issued] == [fine]
    assert not Certificate.objects.filter(customer=broken).exists()
    assert "failed" in caplog.text
    # The next run picks up the one that failed.
    monkeypatch.setattr(pdf, "certificate_pdf", real)
    assert [c.customer for c in certificates.certificates_issue(year=YEAR)] == [broken]


def test_p12_the_yearly_task_issues_for_the_year_just_ended():
    from aftersales.proposals.tasks import proposals_issue_certificates

    sent(make_customer(), 3)
    proposals_issue_certificates.call_local()
    assert Certificate.objects.get().year == YEAR


def test_p12_certificates_page_lists_issues_and_downloads(client_for, cs_manager, worker):
    customer = make_customer(name="李雷")
    sent(customer, 3)
    client = client_for(cs_manager)

    response = client.post("/proposals/certificates/", {"year": YEAR})
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    page = client.get("/proposals/certificates/")
    assert certificate.number in page.content.decode()
    download = client.get(f"/proposals/certificates/{certificate.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")

    assert client_for(worker).get("/proposals/certificates/").status_code == 403
    assert (
        client_for(worker).get(f"/proposals/certificates/{certificate.pk}/download/").status_code
        == 403
    )
