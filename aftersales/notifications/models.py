import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.errors import DomainError
from aftersales.core.models import KeptQuerySet, WorkflowModel
from aftersales.core.workflow import Workflow
from aftersales.notifications.failures import failure_explanation


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    LETTER = "letter", _("letter")
    CALL = "call", _("phone call")


class Status(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    TO_PRINT = "to_print", _("to print")
    PRINTED = "printed", _("printed")
    TO_CALL = "to_call", _("to call")
    CALLED = "called", _("called")
    CANCELLED = "cancelled", _("cancelled")


# The outbox as a workflow table. Delivery moves email between queued, sending,
# sent and failed; people print letters, make calls, retry and cancel.
# SENDING -> SENDING is a new attempt after a worker died mid-send.
TRANSITIONS: dict[str, set[str]] = {
    Status.QUEUED: {Status.SENDING, Status.CANCELLED},
    Status.SENDING: {Status.SENT, Status.QUEUED, Status.FAILED, Status.SENDING},
    # A bounce arrives after the relay accepted the notice.
    Status.SENT: {Status.FAILED},
    Status.FAILED: {Status.QUEUED},
    Status.TO_PRINT: {Status.PRINTED, Status.CANCELLED},
    Status.TO_CALL: {Status.CALLED, Status.CANCELLED},
    Status.PRINTED: set(),
    Status.CALLED: set(),
    Status.CANCELLED: set(),
}

# Statuses that mean the recipient has not been, and will not be, told
# unless someone acts.
NOT_TOLD = (Status.FAILED,)
OFFLINE_WAITING = (Status.TO_PRINT, Status.TO_CALL)


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{settings.MAIL_DOMAIN}>"


class Message(WorkflowModel):
    """One message to a customer or a colleague, whatever its channel.

    The message is written in the transaction of the action that causes it, so
    a rolled-back action leaves no message; delivery happens after commit.
    """

    class AutoSubmitted(models.TextChoices):
        # RFC 3834: tells the recipient's mail system not to answer automatically.
        GENERATED = "auto-generated", "auto-generated"
        REPLIED = "auto-replied", "auto-replied"

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("colleague"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages_received",
    )
    recipient_name = models.CharField(_("recipient"), max_length=200, blank=True)
    # The email address, postal address or phone number as it was when the
    # message was written: the record says where it went, whatever changes later.
    address = models.TextField(_("address"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    template = models.CharField(_("template"), max_length=100)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Automatic retries stop at this attempt; a manual retry raises it.
    max_attempts = models.PositiveIntegerField(_("attempt limit"), default=1)
    last_error = models.TextField(_("last error"), blank=True)
    # When delivery next looks at this message: the back-off for a queued one;
    # for one being sent, the moment it counts as interrupted (a worker died
    # after recording the attempt) and is tried again.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    # Fixed at creation: every attempt carries it, so a resend after a crash
    # is recognisably the same message, and a bounce finds its way back.
    message_id = models.CharField(
        _("Message-ID"), max_length=255, unique=True, default=new_message_id
    )
    in_reply_to = models.CharField(_("in reply to"), max_length=255, blank=True)
    auto_submitted = models.CharField(
        max_length=20, choices=AutoSubmitted.choices, default=AutoSubmitted.GENERATED
    )
    related_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    related_id = models.PositiveBigIntegerField(null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Letters and calls: who printed or called, when, and what they noted.
    handled_at = models.DateTimeField(_("done at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [
            ("retry_message", _("Can retry a failed message")),
            ("handle_offline_message", _("Can print letters and complete call tasks")),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            models.Index(fields=["related_type", "related_id"], name="message_related"),
            # Letters to print and calls to make, oldest first (My work).
            models.Index(fields=["status", "created_at", "id"], name="message_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(user__isnull=False),
                name="message_has_recipient",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self):
        return reverse("notifications:detail", args=[self.pk])

    @property
    def is_offline(self) -> bool:
        return self.channel in (Channel.LETTER, Channel.CALL)

    @property
    def can_retry(self) -> bool:
        return self.channel == Channel.EMAIL and self.status == Status.FAILED and bool(self.address)

    @property
    def can_mark_handled(self) -> bool:
        return self.status in OFFLINE_WAITING

    @property
    def can_cancel(self) -> bool:
        return Status.CANCELLED in TRANSITIONS[self.status]

    @property
    def failure_explanation(self) -> str:
        """Plain words for a failure no retry can fix (issue 7), or ""."""
        return failure_explanation(self)

    @property
    def status_tone(self) -> str:
        """A badge class for the status: what needs attention stands out."""
        if self.status in (Status.SENT, Status.PRINTED, Status.CALLED):
            return "ok"
        if self.status == Status.FAILED:
            return "danger"
        if self.status in (Status.TO_PRINT, Status.TO_CALL) or self.attempts:
            return "warn"
        return ""


class _AppendOnly(models.Model):
    objects = KeptQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise DomainError("records_kept", _("Records kept by the regulation cannot be deleted."))


class DeliveryAttempt(_AppendOnly):
    """One try at handing a message to the mail server. The row is written and
    committed before the server is contacted; its result is filled in once."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("in progress")
        SENT = "sent", _("accepted by the server")
        DEFERRED = "deferred", _("refused for now; will retry")
        FAILED = "failed", _("failed")
        INTERRUPTED = "interrupted", _("interrupted")

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="delivery_attempts")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    smtp_response = models.TextField(_("server response"), blank=True)

    class Meta:
        ordering = ["message", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "number"], name="delivery_attempt_unique_number"
            ),
        ]

    def __str__(self):
        return f"{self.message_id} #{self.number} {self.outcome}"


class MessageEvent(_AppendOnly):
    """Every change of a message's status: from, to, who (none for the
    system), when, and a note."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="events")
    old_status = models.CharField(_("from"), max_length=10, choices=Status.choices, blank=True)
    new_status = models.CharField(_("to"), max_length=10, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["message", "at", "id"]
        verbose_name = _("message event")
        verbose_name_plural = _("message events")

    def __str__(self):
        return f"{self.message_id}: {self.old_status} -> {self.new_status}"


def _message_event(message, *, old, new, by, at, note, data) -> None:
    MessageEvent.objects.create(
        message_id=message.pk,
        old_status=old,
        new_status=new,
        by=by,
        at=at,
        note=note or "",
        data=data or {},
    )


MESSAGE_FLOW = Workflow(
    model=Message, table=TRANSITIONS, label=_("message"), record_event=_message_event
)
