from datetime import datetime

from ninja import Field, Schema

from aftersales.core.api import NOT_BLANK
from aftersales.core.fields import Id, Line, Text


class ContactOut(Schema):
    kind: str
    value: str


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    organisation: str
    preferred_language: str
    contacts: list[ContactOut]
    anonymised: bool = Field(False, alias="is_anonymised")
    version: int
    created_at: datetime

    @staticmethod
    def resolve_contacts(customer):
        return [contact for contact in customer.contacts.all() if contact.value]


class CustomerIn(Schema):
    kind: Line = Field("person", pattern="^(person|organisation)$")
    name: Line = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    organisation: Line = Field("", max_length=200)
    email: Line = Field("", max_length=254)
    phone: Line = Field("", max_length=40)
    postal_address: Text = Field("", max_length=500)
    preferred_language: Line = Field("zh-hans", pattern="^(zh-hans|en)$")
    notes: Text = Field("", max_length=5000)


class CustomerUpdateIn(CustomerIn):
    seen_version: Id = Field(..., description="The version you read; a changed record answers 409.")


class AnonymiseIn(Schema):
    reason: Line = Field(..., min_length=1, max_length=300, pattern=NOT_BLANK)
