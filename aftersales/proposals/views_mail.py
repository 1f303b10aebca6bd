"""Staff pages for mail the intake read (P4): every inbound mail with what
became of it, the quarantine, the raw message, and retrying a quarantined
mail once its cause is fixed."""

from django.contrib import messages as flash
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.errors import DomainError
from aftersales.core.fields import parse_id
from aftersales.core.files import protected_download
from aftersales.core.permissions import permission_required
from aftersales.proposals.mail import selectors
from aftersales.proposals.mail.intake import mail_retry as retry_service
from aftersales.proposals.mail.parse import parse
from aftersales.proposals.models import InboundMail

PAGE_SIZE = 25
PREVIEW_CHARS = 5000


@permission_required("proposals.handle_inbound_mail")
def mail_list(request):
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in InboundMail.Outcome.values else ""
    rows = selectors.inbound_mail_list(outcome=outcome)
    # Keyset pagination: "before" is the last id of the previous page.
    before = parse_id(request.GET.get("before", ""))
    if before is not None:
        rows = rows.filter(pk__lt=before)
    rows = list(rows[: PAGE_SIZE + 1])
    next_before = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    return render(
        request,
        "proposals/mail/list.html",
        {
            "rows": rows[:PAGE_SIZE],
            "outcome": outcome,
            "outcomes": InboundMail.Outcome.choices,
            "next_before": next_before,
            "quarantined": selectors.quarantined_count(),
        },
    )


@permission_required("proposals.handle_inbound_mail")
def mail_detail(request, pk: int):
    inbound = get_object_or_404(selectors.inbound_mail_detail(), pk=pk)
    preview = ""
    if inbound.outcome == InboundMail.Outcome.QUARANTINED:
        # What the intake could read, so staff can judge the mail without
        # opening the raw file. Shown as inert text.
        try:
            with inbound.raw.open("rb") as fh:
                preview = parse(fh.read()).text[:PREVIEW_CHARS]
        except Exception:  # noqa: BLE001 - the page still shows the row and its error
            preview = ""
    return render(request, "proposals/mail/detail.html", {"inbound": inbound, "preview": preview})


@permission_required("proposals.handle_inbound_mail")
def mail_raw(request, pk: int):
    inbound = get_object_or_404(InboundMail, pk=pk)
    return protected_download(inbound.raw.name, download_name=f"mail-{inbound.pk}.eml")


@permission_required("proposals.handle_inbound_mail")
@require_POST
def mail_retry(request, pk: int):
    inbound = get_object_or_404(InboundMail, pk=pk)
    try:
        result = retry_service(inbound=inbound, by=request.user)
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        if result.outcome == InboundMail.Outcome.QUARANTINED:
            flash.error(
                request, _("The mail is still quarantined: %(error)s") % {"error": result.detail}
            )
        else:
            flash.success(
                request,
                _("Retried: %(outcome)s.") % {"outcome": InboundMail.Outcome(result.outcome).label},
            )
    return redirect("proposals:mail_detail", pk=inbound.pk)
