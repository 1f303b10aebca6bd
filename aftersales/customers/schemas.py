from datetime import datetime

from ninja import Field, Schema


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
    def resolve_contacts(obj):
        return [{"kind": c.kind, "value": c.value} for c in obj.contacts.all() if c.value]


class CustomerIn(Schema):
    kind: str = Field("person", pattern="^(person|organisation)$")
    name: str = Field(..., min_length=1, max_length=200)
    organisation: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    postal_address: str = Field("", max_length=500)
    preferred_language: str = Field("zh-hans", pattern="^(zh-hans|en)$")
    notes: str = Field("", max_length=5000)


class CustomerUpdateIn(CustomerIn):
    seen_version: int = Field(
        ..., ge=1, description="The version you read; a changed record answers 409."
    )


class AnonymiseIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)
