from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from aftersales.core.api import ERROR_RESPONSES, CursorPagination, record_action
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


def _on_message(path: str, permission: str):
    """An action on one message (core.api.record_action), answered with the
    message's detail as it is now."""
    return record_action(
        router,
        path,
        permission=permission,
        load=lambda pk: get_object_or_404(Message, pk=pk),
        answer=lambda message: selectors.message_detail_queryset().get(pk=message.pk),
        response={200: MessageDetailOut, **ERROR_RESPONSES},
    )


@_on_message("/{message_id}/retry", "notifications.retry_message")
def message_retry(request, message):
    """Queue a failed email again, with the same Message-ID."""
    services.message_retry(message=message, by=request.auth)


@_on_message("/{message_id}/done", "notifications.handle_offline_message")
def message_done(request, message, payload: HandledIn):
    """Record a letter as printed or a call as made."""
    services.message_mark_handled(message=message, by=request.auth, **payload.dict())


@_on_message("/{message_id}/cancel", "notifications.retry_message")
def message_cancel(request, message, payload: CancelIn):
    services.message_cancel(message=message, by=request.auth, **payload.dict())
