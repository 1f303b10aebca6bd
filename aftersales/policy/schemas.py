from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from aftersales.core.api import NOT_BLANK, Day
from aftersales.core.fields import Id, Text


class PolicyOut(Schema):
    number: int
    status: str
    values: dict[str, Any]
    note: str
    effective_from: date | None
    approved_at: datetime | None
    approved_by: str | None = Field(None, alias="approved_by.username")
    version: int


class PolicyDraftIn(Schema):
    values: dict[str, Any]
    note: Text = Field(..., min_length=1, max_length=2000, pattern=NOT_BLANK)
    seen_version: Id | None = None


class PolicyApproveIn(Schema):
    effective_from: Day
    seen_version: Id | None = None
