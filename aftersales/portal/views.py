"""The customer portal, used without an account (P4 intake, and the
customer's view of their proposal).

Thin views: the form and limits decide, services.portal_submit writes,
selectors read. Every page renders what a customer wrote through template
autoescaping, and no page carries inline script or style (strict CSP).
"""

from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from aftersales.core.errors import DomainError
from aftersales.core.files import protected_download
from aftersales.core.forms import apply_domain_error
from aftersales.portal import limits, selectors
from aftersales.portal.forms import LookupForm, ProposalForm
from aftersales.portal.services import check_files, portal_submit
from aftersales.proposals.links import (
    certificate_token_read,
    portal_token,
    portal_token_read,
)


def _form_page(request, form, *, status=200, limited=False):
    return render(
        request,
        "portal/index.html",
        {
            "form": form,
            "limited": limited,
            # A browser cannot keep chosen files across a reload; say so.
            "files_dropped": bool(request.FILES),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def index(request):
    """The public web form (P4)."""
    if request.method != "POST":
        return _form_page(request, ProposalForm(initial={"language": _current_language()}))
    form = ProposalForm(request.POST, request.FILES)
    # P4: every post counts against its IP address, whatever becomes of it.
    if limits.submission_from_ip_over_limit(request):
        return _form_page(request, form, status=429, limited=True)
    if form.is_honeypot_filled:
        # Software that fills the hidden field is told it succeeded, so it
        # learns nothing; nothing is stored and no notice is sent.
        return render(request, "portal/thanks.html", {"proposal": None})
    if not form.is_valid():
        return _form_page(request, form)
    addresses = form.addresses()
    if limits.addresses_at_limit(request, addresses):
        return _form_page(request, form, status=429, limited=True)
    data = form.cleaned_data
    try:
        files = check_files(data["attachments"])
        proposal = portal_submit(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            language=data["language"],
            title=data["title"],
            content=data["content"],
            files=files,
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _form_page(request, form)
    limits.count_addresses(request, addresses)
    return redirect("portal:thanks", token=portal_token(proposal))


def _current_language() -> str:
    language = get_language() or ""
    return "en" if language.startswith("en") else "zh-hans"


@never_cache
@require_GET
def thanks(request, token):
    proposal = _linked_proposal(token)
    if proposal is None:
        return _link_invalid(request)
    return render(
        request,
        "portal/thanks.html",
        {
            "proposal": proposal,
            "token": token,
            "acknowledged_by_email": selectors.acknowledged_by_email(proposal),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    """A proposal by reference and the email or phone it was sent with.
    A wrong pair reads exactly like a reference that does not exist."""
    if request.method != "POST":
        return render(request, "portal/lookup.html", {"form": LookupForm()})
    form = LookupForm(request.POST)
    if limits.lookup_from_ip_over_limit(request):
        return render(request, "portal/lookup.html", {"form": form, "limited": True}, status=429)
    if not form.is_valid():
        return render(request, "portal/lookup.html", {"form": form})
    proposal = selectors.proposal_for_lookup(
        form.cleaned_data["reference"], form.cleaned_data["contact"]
    )
    if proposal is None:
        return render(request, "portal/lookup.html", {"form": form, "not_found": True})
    return _proposal_page(request, proposal)


def _proposal_page(request, proposal):
    return render(request, "portal/proposal.html", {"page": selectors.public_proposal(proposal)})


def _linked_proposal(token):
    """The proposal a signed link names, or None for a link forged, expired
    or pointing nowhere (all answered alike)."""
    found = portal_token_read(token)
    return selectors.proposal_for_link(*found) if found else None


def _link_invalid(request):
    return render(request, "portal/link_invalid.html", {"form": LookupForm()}, status=404)


@never_cache
@require_GET
def proposal_signed(request, token):
    """The page a notice's signed link opens: the same as a look-up."""
    proposal = _linked_proposal(token)
    if proposal is None:
        return _link_invalid(request)
    return _proposal_page(request, proposal)


@never_cache
@require_GET
def certificate(request, token):
    """P12: a certificate of appreciation, by the signed link on the
    customer's proposal page or in the notice that sent it."""
    found = certificate_token_read(token)
    cert = selectors.certificate_for_link(*found) if found else None
    if cert is None or not cert.file:
        return _link_invalid(request)
    return protected_download(cert.file.name, download_name=f"{cert.number}.pdf")
