from django.contrib import messages as flash
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.errors import DomainError
from aftersales.core.fields import parse_id
from aftersales.core.forms import act_and_return
from aftersales.core.permissions import permission_required
from aftersales.notifications import selectors, services
from aftersales.notifications.forms import CancelForm, HandledForm
from aftersales.notifications.models import Channel, Message, Status

PAGE_SIZE = 25


@permission_required("notifications.view_message")
def outbox(request):
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    status = status if status in Status.values else ""
    channel = channel if channel in Channel.values else ""
    rows = selectors.message_list(status=status, channel=channel)
    # Keyset pagination: "before" is the last id of the previous page.
    before = parse_id(request.GET.get("before", ""))
    if before is not None:
        rows = rows.filter(pk__lt=before)
    rows = list(rows[: PAGE_SIZE + 1])
    next_before = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    context = {
        "rows": rows[:PAGE_SIZE],
        "status": status,
        "channel": channel,
        "statuses": Status.choices,
        "channels": Channel.choices,
        "next_before": next_before,
        "counts": selectors.attention_counts(),
    }
    template = "notifications/partials/rows.html" if request.htmx else "notifications/outbox.html"
    return render(request, template, context)


@permission_required("notifications.view_message")
def message_detail(request, pk: int):
    message = get_object_or_404(selectors.message_detail_queryset(), pk=pk)
    related = message.related if message.related_type_id else None
    return render(
        request,
        "notifications/detail.html",
        {
            "message": message,
            "related": related,
            "related_url": related.get_absolute_url()
            if hasattr(related, "get_absolute_url")
            else "",
            "handled_form": HandledForm(),
            "cancel_form": CancelForm(),
        },
    )


@permission_required("notifications.handle_offline_message")
def offline(request):
    rows = list(selectors.offline_waiting())
    return render(
        request,
        "notifications/offline.html",
        {
            "letters": [m for m in rows if m.channel == Channel.LETTER],
            "calls": [m for m in rows if m.channel == Channel.CALL],
            "handled_form": HandledForm(),
        },
    )


@permission_required("notifications.handle_offline_message")
def letter(request, pk: int):
    """The letter as it is printed: the customer's address and the body, in
    the customer's language."""
    message = get_object_or_404(
        Message.objects.select_related("customer"), pk=pk, channel=Channel.LETTER
    )
    return render(request, "notifications/letter.html", {"message": message})


@permission_required("notifications.retry_message")
@require_POST
def message_retry(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    return act_and_return(
        request,
        lambda: services.message_retry(message=message, by=request.user),
        success=_("The message is queued again; it keeps its Message-ID."),
        to=message,
    )


@permission_required("notifications.handle_offline_message")
@require_POST
def message_done(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    form = HandledForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("The note is too long."))
        return redirect(message)
    try:
        message = services.message_mark_handled(
            message=message, by=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        if message.status == Status.PRINTED:
            flash.success(request, _("The letter is recorded as printed."))
        else:
            flash.success(request, _("The call is recorded as made."))
    if request.POST.get("next") == "offline":
        return redirect("notifications:offline")
    return redirect(message)


@permission_required("notifications.retry_message")
@require_POST
def message_cancel(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Give the reason."))
        return redirect(message)
    return act_and_return(
        request,
        lambda: services.message_cancel(
            message=message, by=request.user, reason=form.cleaned_data["reason"]
        ),
        success=_("The message is cancelled; it will not be sent."),
        to=message,
    )
