"""P12: certificates of appreciation for customers whose proposals were not
adopted but who sent at least ``certificate_min_proposals_per_year`` in a year.

The reading adopted (issue 3): a customer qualifies for year Y when at least
that many of their proposals were received in Y — proposals closed as not a
proposal do not count — and none of their proposals received in Y was adopted
(or implemented). The threshold is the policy in force on 31 December of Y.

The certificate is a PDF in the customer's language, stored with the record
and sent to them as a signed download link (the portal serves it).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.permissions import require
from aftersales.customers.models import Customer
from aftersales.notifications.services import notify
from aftersales.policy.models import PolicyVersion
from aftersales.policy.services import policy_in_force
from aftersales.proposals.links import certificate_url
from aftersales.proposals.models import ADOPTED_STATUSES, Certificate, Proposal, Status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Qualifier:
    customer_id: int
    proposals_count: int


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 January of ``year``, 1 January of the next) in the site's time zone."""
    zone = timezone.get_default_timezone()
    return (
        datetime.combine(date(year, 1, 1), time.min, tzinfo=zone),
        datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=zone),
    )


def threshold(year: int) -> int:
    """P12: the number under the policy in force on 31 December of ``year``.
    For a year that ended before the product was installed, the first
    version (the regulation's defaults) stands in."""
    try:
        version = policy_in_force(date(year, 12, 31))
    except DomainError:
        version = (
            PolicyVersion.objects.filter(status=PolicyVersion.Status.APPROVED)
            .order_by("effective_from", "number")
            .first()
        )
        if version is None:
            raise
    return int(version.value("certificate_min_proposals_per_year"))


def qualifiers(year: int) -> list[Qualifier]:
    """P12: the customers who qualify for ``year`` and have no certificate for
    it yet, in one aggregate query over that year's proposals. Anonymised
    customers are left out: nobody is left to send a certificate to."""
    start, end = year_bounds(year)
    rows = (
        Proposal.objects.filter(received_at__gte=start, received_at__lt=end)
        .filter(customer__anonymised_at__isnull=True)
        .exclude(customer__in=Certificate.objects.filter(year=year).values("customer"))
        .values("customer")
        .annotate(
            counted=Count("pk", filter=~Q(status=Status.CLOSED)),
            adopted=Count("pk", filter=Q(status__in=ADOPTED_STATUSES)),
        )
        .filter(counted__gte=threshold(year), adopted=0)
        .order_by("customer")
        .values_list("customer", "counted")
    )
    return [Qualifier(customer_id, counted) for customer_id, counted in rows]


def _check_year(year: int) -> None:
    if not isinstance(year, int) or year < 2000:
        raise DomainError("invalid_year", _("Enter a year."), fields={"year": _("Enter a year.")})
    if year >= timezone.localdate().year:
        raise DomainError(
            "p12_year_not_over",
            _("Certificates for %(year)s can be issued once the year is over.") % {"year": year},
            fields={"year": _("Choose a past year.")},
        )


def certificates_issue(*, year: int, by=None) -> list[Certificate]:
    """P12: issue, store and send a certificate to every customer who qualifies
    for ``year`` and has none for it yet. Safe to run again: nobody gets two.

    ``by`` is the person running it on demand; None is the yearly task. Each
    certificate is issued in its own transaction, so one failure (logged) does
    not stop the rest. Returns the certificates issued by this run.
    """
    if by is not None:
        require(by, "proposals.issue_certificate")
    _check_year(year)
    issued = []
    for qualifier in qualifiers(year):
        try:
            certificate = _issue_one(qualifier, year=year, by=by)
        except Exception:
            log.exception("Issuing the %s certificate to customer %s failed", year, qualifier)
            continue
        if certificate is not None:
            issued.append(certificate)
    return issued


def _issue_one(qualifier: Qualifier, *, year: int, by, attempts: int = 3) -> Certificate | None:
    for _attempt in range(attempts):
        try:
            with transaction.atomic():
                return _issue_locked(qualifier, year=year, by=by)
        except IntegrityError:
            # Another run took this number, or already issued this customer's
            # certificate: look again.
            if Certificate.objects.filter(customer_id=qualifier.customer_id, year=year).exists():
                return None
    raise RuntimeError(f"No free certificate number for {year} after {attempts} attempts")


def _issue_locked(qualifier: Qualifier, *, year: int, by) -> Certificate | None:
    customer = Customer.objects.select_for_update().filter(pk=qualifier.customer_id).first()
    if customer is None or customer.is_anonymised:
        return None
    if Certificate.objects.filter(customer=customer, year=year).exists():
        return None
    from aftersales.notifications.rendering import language_or_default
    from aftersales.proposals.documents import certificate_pdf

    language = language_or_default(customer.preferred_language)
    certificate = Certificate(
        number=next_number(year),
        customer=customer,
        year=year,
        proposals_count=qualifier.proposals_count,
        language=language,
        issued_at=timezone.now(),
        issued_by=by,
    )
    pdf = certificate_pdf(certificate, language=language)
    certificate.file.save(f"{certificate.number}.pdf", ContentFile(pdf), save=False)
    certificate.save()
    notify(
        template="proposals/certificate_issued",
        context={
            "year": year,
            "number": certificate.number,
            "proposals_count": certificate.proposals_count,
            "download_url": certificate_url(certificate),
        },
        customer=customer,
        related=certificate,
        by=by,
    )
    return certificate


def next_number(year: int) -> str:
    """C-<year>-0001, C-<year>-0002, ...: one more than the year's highest
    (longest, then greatest: C-2026-10000 comes after C-2026-9999)."""
    last = (
        Certificate.objects.filter(year=year)
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"C-{year}-{serial:04d}"


def certificate_download_name(certificate: Certificate) -> str:
    return f"{certificate.number}.pdf"
