from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from aftersales.core.api import ERROR_RESPONSES, CursorPagination
from aftersales.core.fields import Id, Line
from aftersales.core.permissions import require
from aftersales.notifications import selectors, services
from aftersales.notifications.models import Message
from aftersales.notifications.schemas import CancelIn, HandledIn, MessageDetailOut, MessageOut

router = Router(tags=["notifications"])


@router.get("/", response=list[MessageOut])
@paginate(CursorPagination)
def message_list(request, status: Line = "", channel: Line = ""):
    """Messages newest first; filter by status (queued, sending, sent, failed,
    to_print, printed, to_call, called, cancelled) and channel (email, letter, call)."""
    require(request.auth, "notifications.view_message")
    return selectors.message_list(status=status, channel=channel)


@router.get("/{message_id}", response={200: MessageDetailOut, **ERROR_RESPONSES})
def message_get(request, message_id: Id):
    require(request.auth, "notifications.view_message")
    return get_object_or_404(selectors.message_detail_queryset(), pk=message_id)


@router.post("/{message_id}/retry", response={200: MessageDetailOut, **ERROR_RESPONSES})
def message_retry(request, message_id: Id):
    """Queue a failed email again, with the same Message-ID."""
    require(request.auth, "notifications.retry_message")
    message = get_object_or_404(Message, pk=message_id)
    services.message_retry(message=message, by=request.auth)
    return selectors.message_detail_queryset().get(pk=message_id)


@router.post("/{message_id}/done", response={200: MessageDetailOut, **ERROR_RESPONSES})
def message_done(request, message_id: Id, payload: HandledIn):
    """Record a letter as printed or a call as made."""
    require(request.auth, "notifications.handle_offline_message")
    message = get_object_or_404(Message, pk=message_id)
    services.message_mark_handled(message=message, by=request.auth, note=payload.note)
    return selectors.message_detail_queryset().get(pk=message_id)


@router.post("/{message_id}/cancel", response={200: MessageDetailOut, **ERROR_RESPONSES})
def message_cancel(request, message_id: Id, payload: CancelIn):
    require(request.auth, "notifications.retry_message")
    message = get_object_or_404(Message, pk=message_id)
    services.message_cancel(message=message, by=request.auth, reason=payload.reason)
    return selectors.message_detail_queryset().get(pk=message_id)
