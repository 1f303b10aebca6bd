from datetime import datetime

from ninja import Field, Schema

from aftersales.core.api import NOT_BLANK
from aftersales.core.fields import Line, Text


# What a message is about, read from the message's generic relation.
class RelatedOut(Schema):
    type: str
    id: int = Field(..., validation_alias="related_id")

    @staticmethod
    def resolve_type(message):
        return f"{message.related_type.app_label}.{message.related_type.model}"


class MessageOut(Schema):
    id: int
    channel: str
    status: str
    language: str
    template: str
    subject: str
    customer_id: int | None
    user_id: int | None
    recipient_name: str
    address: str
    related: RelatedOut | None = None
    attempts: int
    max_attempts: int
    last_error: str
    next_attempt_at: datetime | None
    sent_at: datetime | None
    bounced_at: datetime | None
    message_id: str
    created_at: datetime
    created_by_id: int | None
    handled_at: datetime | None
    handled_by_id: int | None
    handled_note: str
    version: int

    @staticmethod
    def resolve_related(message):
        return message if message.related_type_id else None


class AttemptOut(Schema):
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str
    smtp_response: str


class MessageEventOut(Schema):
    at: datetime
    old_status: str
    new_status: str
    by_id: int | None
    note: str


class MessageDetailOut(MessageOut):
    body: str
    delivery_attempts: list[AttemptOut]
    events: list[MessageEventOut]


class HandledIn(Schema):
    note: Text = Field("", max_length=2000)


class CancelIn(Schema):
    reason: Line = Field(..., min_length=1, max_length=500, pattern=NOT_BLANK)
