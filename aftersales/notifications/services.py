"""Every write about messages: writing a notice, delivering it, recording
what became of it.

A notice is written by ``notify()`` inside the transaction of the action that
causes it (P7, P8, P9: the customer is told of a decision), so a rolled-back
action leaves no notice. Email goes out after commit, from the background
worker; letters and calls wait for a person.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ConflictError, DomainError, required
from aftersales.notifications import smtp
from aftersales.notifications.bounces import parse_dsn
from aftersales.notifications.models import (
    MESSAGE_FLOW,
    Channel,
    DeliveryAttempt,
    Message,
    MessageEvent,
    Status,
)
from aftersales.notifications.rendering import language_or_default, render_message

log = logging.getLogger(__name__)


# --- writing a notice ------------------------------------------------------


@transaction.atomic
def notify(
    *,
    template: str,
    context: dict,
    customer=None,
    user=None,
    related=None,
    by=None,
    in_reply_to: str = "",
) -> Message:
    """Write a message to ``customer`` or to ``user`` (a colleague) in their
    language, on the best channel they have, and queue its delivery for after
    the current transaction commits.

    Email when the recipient has an address; otherwise a customer gets a
    letter to print when a postal address is known, else a call task. A
    recipient who cannot be reached at all still gets a row, marked failed, so
    "the customer was not told" shows in the outbox instead of vanishing.
    ``in_reply_to`` makes the notice an automatic reply to that Message-ID.
    """
    if (customer is None) == (user is None):
        raise DomainError(
            "recipient_required", _("A message goes to one customer or one colleague.")
        )
    if customer is not None:
        # Fresh from the database: the caller's copy may predate a change of
        # address or an anonymisation.
        customer = type(customer).objects.prefetch_related("contacts").get(pk=customer.pk)
        name, language = customer.name, customer.preferred_language
        channel, address = _customer_channel(customer)
    else:
        profile = getattr(user, "profile", None)
        name = (
            (profile.display_name if profile else "") or user.get_full_name() or user.get_username()
        )
        language = profile.language if profile else None
        channel, address = (Channel.EMAIL, user.email) if user.email else (None, "")
    language = language_or_default(language)
    subject, body = render_message(
        template,
        language,
        {
            "recipient_name": name,
            "sender": settings.COMPANY_NAME,
            "site_url": settings.SITE_URL,
            **context,
        },
    )
    now = timezone.now()
    status = {
        Channel.EMAIL: Status.QUEUED,
        Channel.LETTER: Status.TO_PRINT,
        Channel.CALL: Status.TO_CALL,
        None: Status.FAILED,
    }[channel]
    message = Message.objects.create(
        customer=customer,
        user=user,
        recipient_name=name,
        address=address,
        # A message nobody can receive is still filed under email: the channel
        # every notice is tried on first.
        channel=channel or Channel.EMAIL,
        language=language,
        template=template,
        subject=subject[:300],
        body=body,
        status=status,
        max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
        last_error=_("No email, postal address or phone number is known for the recipient.")
        if channel is None
        else "",
        next_attempt_at=now if status == Status.QUEUED else None,
        in_reply_to=in_reply_to,
        auto_submitted=Message.AutoSubmitted.REPLIED
        if in_reply_to
        else Message.AutoSubmitted.GENERATED,
        related_type=ContentType.objects.get_for_model(related) if related is not None else None,
        related_id=related.pk if related is not None else None,
        created_by=by,
    )
    MESSAGE_FLOW.record_event(message, old="", new=status, by=by, at=now, note="", data={})
    if status == Status.QUEUED:
        _deliver_after_commit(message.pk)
    return message


def _customer_channel(customer) -> tuple[str | None, str]:
    if customer.is_anonymised:
        # Their contact details were replaced by a placeholder: nothing to use.
        return None, ""
    found = {}
    for contact in customer.contacts.all():
        if contact.value and contact.kind not in found:
            found[contact.kind] = contact.value
    if found.get("email"):
        return Channel.EMAIL, found["email"]
    # A letter before a call: the notice of a decision (P7, P8, P9) is then on
    # paper, with the time and measures written down.
    if found.get("postal"):
        return Channel.LETTER, found["postal"]
    if found.get("phone"):
        return Channel.CALL, found["phone"]
    return None, ""


def _deliver_after_commit(message_id: int) -> None:
    # robust: if the queue is unreachable the write has committed anyway, and
    # the every-minute sweep sends the message; the caller must not see an error.
    transaction.on_commit(lambda: _enqueue(message_id), robust=True)


def _enqueue(message_id: int) -> None:
    from aftersales.notifications.tasks import deliver_message

    deliver_message(message_id)


# --- delivery --------------------------------------------------------------


def backoff(attempt: int) -> timedelta:
    """Wait after failed attempt number ``attempt``: base, base*factor, ... capped."""
    seconds = settings.OUTBOX_BACKOFF_BASE_SECONDS * settings.OUTBOX_BACKOFF_FACTOR ** max(
        attempt - 1, 0
    )
    return timedelta(seconds=min(seconds, settings.OUTBOX_BACKOFF_MAX_SECONDS))


def message_deliver(*, message_id: int, now: datetime | None = None) -> Message | None:
    """Try to send one email message; safe to run twice, or in two workers at once.

    The attempt is recorded and committed before the mail server is
    contacted. If the worker dies after that, the message stays ``sending``
    until its lease runs out and the sweep tries once more, under the same
    Message-ID: a crash costs at most one duplicate, never a lost notice.
    Returns the message when this call made an attempt, else None.
    """
    attempt = _claim(message_id, now or timezone.now())
    if attempt is None:
        return None
    message = attempt.message
    result = smtp.send(message)
    finished = timezone.now()
    if result.ok:
        _record_sent(attempt, result, finished)
    else:
        _record_failure(attempt, result, finished)
    message.refresh_from_db()
    return message


@transaction.atomic
def _claim(message_id: int, now: datetime) -> DeliveryAttempt | None:
    lease = timedelta(seconds=settings.OUTBOX_STUCK_SECONDS)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    # One conditional UPDATE is the claim: of two workers, the database lets
    # exactly one change the row, on SQLite (where select_for_update does
    # nothing) as on PostgreSQL.
    claimed = MESSAGE_FLOW.move_where(
        Q(pk=message_id, channel=Channel.EMAIL, attempts__lt=F("max_attempts")) & due,
        (Status.QUEUED, Status.SENDING),
        Status.SENDING,
        at=now,
        values={"attempts": F("attempts") + 1, "next_attempt_at": now + lease},
    )
    if not claimed:
        return None
    message = Message.objects.get(pk=message_id)
    # A pending attempt left behind means this claim took over from a worker
    # that died mid-send.
    interrupted = _interrupt_pending(
        message_id,
        now,
        _("The worker stopped before the result was known; the message may have been sent."),
    )
    old_status = Status.SENDING if interrupted else Status.QUEUED
    attempt = DeliveryAttempt.objects.create(
        message=message, number=message.attempts, started_at=now
    )
    MESSAGE_FLOW.log(
        message,
        old=old_status,
        new=Status.SENDING,
        at=now,
        note=_("Attempt %(n)s") % {"n": message.attempts},
    )
    return attempt


@transaction.atomic
def _record_sent(attempt: DeliveryAttempt, result, finished: datetime) -> None:
    _finish_attempt(attempt, DeliveryAttempt.Outcome.SENT, finished, response=result.response)
    # Success wins even when a later attempt took over after a lease ran out:
    # the recipient has the message.
    moved = MESSAGE_FLOW.move_where(
        Q(pk=attempt.message_id),
        Status.SENDING,
        Status.SENT,
        at=finished,
        values={"sent_at": finished, "next_attempt_at": None, "last_error": ""},
    )
    if moved:
        MESSAGE_FLOW.log(
            attempt.message, old=Status.SENDING, new=Status.SENT, at=finished, note=result.response
        )


@transaction.atomic
def _record_failure(attempt: DeliveryAttempt, result, finished: datetime) -> None:
    message = attempt.message
    give_up = not result.retry or attempt.number >= message.max_attempts
    outcome = DeliveryAttempt.Outcome.FAILED if give_up else DeliveryAttempt.Outcome.DEFERRED
    _finish_attempt(attempt, outcome, finished, error=result.error)
    if give_up:
        new, next_attempt_at = Status.FAILED, None
    else:
        new, next_attempt_at = Status.QUEUED, finished + backoff(attempt.number)
    # Only the latest attempt decides the message's state.
    moved = MESSAGE_FLOW.move_where(
        Q(pk=message.pk, attempts=attempt.number),
        Status.SENDING,
        new,
        at=finished,
        values={"last_error": result.error, "next_attempt_at": next_attempt_at},
    )
    if moved:
        MESSAGE_FLOW.log(message, old=Status.SENDING, new=new, at=finished, note=result.error)


def _interrupt_pending(message_id: int, at: datetime, note: str) -> int:
    """The attempt a dead worker left open is closed as interrupted."""
    return DeliveryAttempt.objects.filter(
        message_id=message_id, outcome=DeliveryAttempt.Outcome.PENDING
    ).update(outcome=DeliveryAttempt.Outcome.INTERRUPTED, finished_at=at, error=note)


def _finish_attempt(attempt, outcome, finished, *, error: str = "", response: str = "") -> None:
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome, finished_at=finished, error=error, smtp_response=response
    )


def outbox_deliver_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """The every-minute sweep: send queued messages whose time has come, and
    retry those whose worker died mid-send. Returns how many were attempted."""
    now = now or timezone.now()
    limit = limit or settings.OUTBOX_SWEEP_BATCH
    outbox_fail_exhausted(now=now)
    due = (
        Message.objects.filter(channel=Channel.EMAIL, status__in=(Status.QUEUED, Status.SENDING))
        .filter(next_attempt_at__lte=now, attempts__lt=F("max_attempts"))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for message_id in list(due):
        try:
            if message_deliver(message_id=message_id, now=now) is not None:
                done += 1
        except Exception:
            # One broken message must not hold up the rest of the outbox.
            log.exception("Delivering message %s failed", message_id)
    return done


@transaction.atomic
def outbox_fail_exhausted(*, now: datetime | None = None) -> int:
    """A message whose last allowed attempt was interrupted is failed, not
    sent again: staff see it and decide (it may have reached the customer)."""
    now = now or timezone.now()
    stuck = list(
        Message.objects.filter(
            channel=Channel.EMAIL,
            status=Status.SENDING,
            next_attempt_at__lte=now,
            attempts__gte=F("max_attempts"),
        ).values_list("pk", flat=True)
    )
    note = _("The last attempt was interrupted; the message may or may not have arrived.")
    for message_id in stuck:
        moved = MESSAGE_FLOW.move_where(
            Q(pk=message_id, next_attempt_at__lte=now),
            Status.SENDING,
            Status.FAILED,
            at=now,
            values={"next_attempt_at": None, "last_error": note},
        )
        if moved:
            _interrupt_pending(message_id, now, note)
            MESSAGE_FLOW.log(
                Message(pk=message_id), old=Status.SENDING, new=Status.FAILED, at=now, note=note
            )
    return len(stuck)


# --- what people do --------------------------------------------------------


@transaction.atomic
def message_retry(*, message: Message, by) -> Message:
    """Queue a failed email again, now: same Message-ID, attempts counting on,
    with a fresh round of automatic retries."""
    message = MESSAGE_FLOW.lock(message)
    if message.channel != Channel.EMAIL:
        raise DomainError("not_email", _("Only email messages can be retried."))
    if not message.address:
        raise DomainError(
            "no_address",
            _(
                "There is no address to send this message to. Once the recipient's details are known, write to them again."
            ),
        )
    now = timezone.now()
    message.max_attempts = message.attempts + settings.OUTBOX_MAX_ATTEMPTS
    message.next_attempt_at = now
    MESSAGE_FLOW.move(
        message,
        Status.QUEUED,
        by=by,
        note=_("Retried by hand."),
        at=now,
        fields={"max_attempts", "next_attempt_at"},
    )
    _deliver_after_commit(message.pk)
    return message


@transaction.atomic
def message_mark_handled(*, message: Message, by, note: str = "") -> Message:
    """A letter was printed and posted, or a call made: who, when, and what happened."""
    message = MESSAGE_FLOW.lock(message)
    target = {Status.TO_PRINT: Status.PRINTED, Status.TO_CALL: Status.CALLED}.get(message.status)
    if target is None:
        raise ConflictError(
            "not_waiting",
            _("This message is not waiting to be printed or called; reload the page."),
        )
    note = (note or "").strip()
    now = timezone.now()
    # sent_at is when the recipient was told, or the letter went in the post.
    message.handled_at, message.handled_by, message.handled_note, message.sent_at = (
        now,
        by,
        note,
        now,
    )
    MESSAGE_FLOW.move(
        message,
        target,
        by=by,
        note=note,
        at=now,
        fields={"handled_at", "handled_by", "handled_note", "sent_at"},
    )
    return message


@transaction.atomic
def message_cancel(*, message: Message, by, reason: str) -> Message:
    """Withdraw a message that has not gone out yet (queued, to print, to call)."""
    reason = required(reason, field="reason", code="reason_required", message=_("Give the reason."))
    message = MESSAGE_FLOW.lock(message)
    now = timezone.now()
    message.next_attempt_at = None
    message.handled_at, message.handled_by, message.handled_note = now, by, reason
    MESSAGE_FLOW.move(
        message,
        Status.CANCELLED,
        by=by,
        note=reason,
        at=now,
        fields={"next_attempt_at", "handled_at", "handled_by", "handled_note"},
    )
    return message


# --- bounces ---------------------------------------------------------------


@transaction.atomic
def outbox_record_bounce(raw: bytes) -> Message | None:
    """Mark failed the notice a delivery status notification (RFC 3464) is
    about, with the DSN's diagnostic, so the outbox shows that the recipient
    was not told. Returns that message, or None when ``raw`` is not a failure
    report or names no message of ours."""
    bounce = parse_dsn(raw)
    if bounce is None or not bounce.failed or not bounce.message_ids:
        return None
    message = (
        Message.objects.select_for_update()
        .filter(message_id__in=bounce.message_ids, channel=Channel.EMAIL)
        .order_by("-pk")
        .first()
    )
    if message is None:
        return None
    now = timezone.now()
    diagnostic = _("Bounced: %(diagnostic)s") % {"diagnostic": bounce.summary()}
    message.last_error, message.bounced_at, message.next_attempt_at = diagnostic, now, None
    if message.status == Status.FAILED:
        # The same bounce twice, or a bounce after failing anyway: note it only.
        message.save(update_fields=["last_error", "bounced_at", "next_attempt_at"])
        return message
    if message.status not in (Status.SENT, Status.SENDING):
        return None
    MESSAGE_FLOW.move(
        message,
        Status.FAILED,
        by=None,
        note=diagnostic,
        at=now,
        fields={"last_error", "bounced_at", "next_attempt_at"},
    )
    return message


def messages_anonymise_customer(
    *, customer_id: int, old_names: list[str], old_contacts: list[str], label: str, redacted: str
) -> int:
    """PIPL: the notices a customer received stay on record (what was told,
    when, with what outcome) but no longer carry their name or contact details
    — not in the text, nor in a server's error or reply quoting the address.
    Values are replaced longest first, so one inside another is not left
    half-replaced."""
    names = {n.strip() for n in old_names if n and n.strip()}
    contacts = {c.strip() for c in old_contacts if c and c.strip()} - {redacted}
    replacements = sorted(
        [(v, label) for v in names] + [(v, redacted) for v in contacts - names],
        key=lambda pair: len(pair[0]),
        reverse=True,
    )

    def scrubbed(field: str):
        expression = F(field)
        for old, new in replacements:
            expression = Replace(expression, Value(old), Value(new))
        return expression

    messages = Message.objects.filter(customer_id=customer_id)
    DeliveryAttempt.objects.filter(message__customer_id=customer_id).update(
        error=scrubbed("error"), smtp_response=scrubbed("smtp_response")
    )
    MessageEvent.objects.filter(message__customer_id=customer_id).update(note=scrubbed("note"))
    return messages.update(
        recipient_name=label,
        address=redacted,
        subject=scrubbed("subject"),
        body=scrubbed("body"),
        last_error=scrubbed("last_error"),
    )
