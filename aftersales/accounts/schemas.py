from datetime import date, datetime

from ninja import Field, Schema

from aftersales.accounts.selectors import user_roles
from aftersales.core.api import NOT_BLANK
from aftersales.core.fields import Line


# The user asking, read from the user row; a user without a staff profile
# has an empty name and language.
class MeOut(Schema):
    id: int
    username: str = Field(..., validation_alias="get_username")
    display_name: str = Field("", validation_alias="profile.display_name")
    language: str = Field("", validation_alias="profile.language")
    roles: list[str]
    permissions: list[str]

    @staticmethod
    def resolve_roles(user):
        return user_roles(user)

    @staticmethod
    def resolve_permissions(user):
        return sorted(user.get_all_permissions())


class TokenIn(Schema):
    name: Line = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    days: int | None = Field(365, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    lookup: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="Shown once; store it now.")


class StaffOut(Schema):
    id: int
    username: str
    is_active: bool
    employee_no: str | None = Field(None, alias="profile.employee_no")
    display_name: str | None = Field(None, alias="profile.display_name")
    department: str | None = Field(None, alias="profile.department.code")
    hire_date: date | None = Field(None, alias="profile.hire_date")
    proficient_since: date | None = Field(None, alias="profile.proficient_since")
    roles: list[str]

    @staticmethod
    def resolve_roles(obj):
        return sorted(g.name for g in obj.groups.all())
