"""The proposals' printable documents (P5 acceptance record, P12 certificate
of appreciation): their context here, their layout in
templates/proposals/documents/, rendered by reports.pdf (fonts, the time
limit, the render process)."""

from aftersales.reports.pdf import render_pdf


def acceptance_record_pdf(proposal, *, language: str, printed_at=None) -> bytes:
    """P5: the printable acceptance record of ``proposal``. The caller loads it
    with customer, accepted_by (and profile) and study_requests.department."""
    from django.utils import timezone

    accepted_by = proposal.accepted_by
    name = ""
    if accepted_by is not None:
        profile = getattr(accepted_by, "profile", None)
        name = (
            (profile.display_name if profile else "")
            or accepted_by.get_full_name()
            or accepted_by.get_username()
        )
    return render_pdf(
        "proposals/documents/acceptance_record.html",
        {
            "proposal": proposal,
            "received_at": proposal.received_at,
            "accepted_at": proposal.accepted_at,
            "accepted_by_name": name,
            "departments": [s.department for s in proposal.study_requests.all()],
            "company_name": _company_name(),
            "printed_at": printed_at or timezone.now(),
        },
        language=language,
    )


def certificate_pdf(certificate, *, language: str) -> bytes:
    """P12: a certificate of appreciation, in ``language``."""
    from django.utils import timezone

    return render_pdf(
        "proposals/documents/certificate.html",
        {
            "certificate": certificate,
            "issued_on": timezone.localtime(certificate.issued_at).date(),
            "company_name": _company_name(),
        },
        language=language,
    )


def _company_name() -> str:
    from django.conf import settings

    return settings.COMPANY_NAME
