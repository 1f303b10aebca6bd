"""API plumbing shared by every app: authentication, the one error shape,
and keyset (cursor) pagination."""

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from aftersales.core.errors import DomainError
from aftersales.core.fields import Line, parse_id, pydantic_error_message


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorEnvelope(Schema):
    error: ErrorOut


# The failures an endpoint may answer with, for its OpenAPI description.
ERROR_RESPONSES = {code: ErrorEnvelope for code in (400, 403, 404, 409, 422)}


def error_response(api, request, *, status: int, code: str, message: str, fields=None):
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def install_error_handlers(api) -> None:
    """Every failure, whatever raised it, answers ``{"error": {code, message, fields}}``."""

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        fields = {k: str(v) for k, v in exc.fields.items()}
        return error_response(
            api, request, status=exc.status, code=exc.code, message=exc.message, fields=fields
        )

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields = {}
        for err in exc.errors:
            loc = [
                str(p)
                for p in err.get("loc", ())
                if p not in ("body", "query", "path", "payload", "form")
            ]
            # In the request's language (issue 7): the shared Line/Text/Id types
            # and pydantic's own checks alike.
            fields[".".join(loc) or "_"] = pydantic_error_message(err)
        if exc.errors and all(err.get("loc", ("",))[0] == "path" for err in exc.errors):
            # A path that names no record (an id past 2**63 - 1) is not found.
            return error_response(
                api, request, status=404, code="not_found", message=_("Not found."), fields=fields
            )
        return error_response(
            api,
            request,
            status=422,
            code="invalid",
            message=_("Some fields are not valid."),
            fields=fields,
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return error_response(
            api,
            request,
            status=401,
            code="unauthenticated",
            message=_("Sign in or send a valid API token."),
        )

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return error_response(
            api,
            request,
            status=403,
            code="forbidden",
            message=_("You do not have permission to do this."),
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        codes = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            429: "rate_limited",
        }
        return error_response(
            api,
            request,
            status=exc.status_code,
            code=codes.get(exc.status_code, "error"),
            message=str(exc),
        )

    @api.exception_handler(Exception)
    def server_error(request, exc):
        import logging

        logging.getLogger("aftersales.api").exception(
            "API error", extra={"request_id": getattr(request, "id", None)}
        )
        return error_response(
            api,
            request,
            status=500,
            code="server_error",
            message=_("Something went wrong on our side."),
        )


class SessionAuthCSRF(SessionAuth):
    """The browser's session; unsafe methods need the CSRF token.

    Only a request signed in by its session is checked. A request that sends
    an API token has neither a session nor a CSRF token: checking it here would
    refuse every token POST before TokenAuth is asked. A cross-site form cannot
    set an Authorization header, so such a request is left to TokenAuth.
    """

    def __call__(self, request):
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def _get_key(self, request):
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise DomainError(
                "csrf_failed",
                _(
                    "The form was open too long or cookies are blocked. Go back, reload the page "
                    "and send it again; what you typed may still be in the form."
                ),
                status=403,
            )
        return request.COOKIES.get(self.param_name)


class TokenAuth(HttpBearer):
    """Personal API tokens: ``Authorization: Bearer <token>``, stored hashed."""

    def authenticate(self, request, token):
        from aftersales.accounts.services import api_token_authenticate

        user = api_token_authenticate(raw=token)
        if user is not None:
            # Code that reads request.user (the audit trail's HistoryRequestMiddleware
            # among it) must see who acts, not an anonymous visitor.
            request.user = user
        return user


class CursorPagination(PaginationBase):
    """Keyset pagination on the primary key, newest first.

    No page ever counts the whole table: a page is ``WHERE pk < cursor ORDER BY
    pk DESC LIMIT n+1``, and the extra row tells whether there is a next page.
    """

    class Input(Schema):
        cursor: Line | None = Field(None, description="next_cursor of the previous page")
        limit: int = Field(25, ge=1, le=100)

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None = None

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        queryset = queryset.order_by("-pk")
        if pagination.cursor:
            queryset = queryset.filter(pk__lt=decode_cursor(pagination.cursor))
        rows = list(queryset[: pagination.limit + 1])
        more = len(rows) > pagination.limit
        rows = rows[: pagination.limit]
        return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None}


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"pk": pk}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))["pk"]
        pk = parse_id(raw) if isinstance(raw, int) else None
        if pk is None:
            raise ValueError
        return pk
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise DomainError(
            "invalid_cursor",
            _("The cursor is not valid; start again from the first page."),
            status=422,
        ) from None
