"""Signed links to a proposal's portal page, carried by every customer notice.

The token names the proposal and the customer it was sent to; it is signed
with SECRET_KEY (django.core.signing), so it cannot be forged or pointed at
another proposal, and it expires after PORTAL_LINK_MAX_AGE_DAYS.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "aftersales.portal.proposal"


def portal_token(proposal) -> str:
    return signing.dumps({"p": proposal.pk, "c": proposal.customer_id}, salt=SALT, compress=True)


def portal_token_read(token: str) -> tuple[int, int] | None:
    """(proposal id, customer id) from a valid, unexpired token, else None."""
    max_age = settings.PORTAL_LINK_MAX_AGE_DAYS * 86400
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
        return int(data["p"]), int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def portal_url(proposal) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "portal:proposal_signed", args=[portal_token(proposal)]
    )


CERTIFICATE_SALT = "aftersales.portal.certificate"


def certificate_token(certificate) -> str:
    return signing.dumps(
        {"n": certificate.pk, "c": certificate.customer_id}, salt=CERTIFICATE_SALT, compress=True
    )


def certificate_token_read(token: str) -> tuple[int, int] | None:
    """(certificate id, customer id) from a valid, unexpired token, else None."""
    max_age = settings.PORTAL_LINK_MAX_AGE_DAYS * 86400
    try:
        data = signing.loads(token, salt=CERTIFICATE_SALT, max_age=max_age)
        return int(data["n"]), int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def certificate_url(certificate) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "portal:certificate", args=[certificate_token(certificate)]
    )
