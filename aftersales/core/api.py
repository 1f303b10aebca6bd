"""API plumbing shared by every app: authentication, the one error shape,
keyset (cursor) pagination, and the one shape of an action on a record."""

import base64
import binascii
import functools
import inspect
import json
import re
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from aftersales.core.errors import DomainError
from aftersales.core.fields import Id, Line, parse_id, pydantic_error_message
from aftersales.core.permissions import can


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorEnvelope(Schema):
    error: ErrorOut


# Text a service requires: at least one character that is not a space, since
# services strip what they are given. ``Field(..., min_length=1, pattern=NOT_BLANK)``
# says so in the OpenAPI document, so a blank value is refused there (422) and
# not by the service after the schema let it through.
NOT_BLANK = r"\S"


_ISO_DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _written_date(value: Any) -> Any:
    # pydantic reads a number, even "0" in a query, as a Unix time; the
    # document says an ISO 8601 string (format date or date-time).
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_parsing", _("Enter a date as YYYY-MM-DD."))


def _written_moment(value: Any) -> Any:
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise PydanticCustomError("datetime_parsing", _("Enter a date and time (ISO 8601)."))


# A date or a date and time written as ISO 8601 text, never a number.
Day = Annotated[date, BeforeValidator(_written_date)]
Moment = Annotated[datetime, BeforeValidator(_written_moment)]


def _written_number(value: Any) -> Any:
    # The document says a number: text ("1.5", "") and true/false are refused.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PydanticCustomError("decimal_type", _("Enter a number."))
    return value


# A decimal (a score) sent as a JSON number.
Number = Annotated[Decimal, BeforeValidator(_written_number), WithJsonSchema({"type": "number"})]


# The failures an endpoint may answer with, for its OpenAPI description.
ERROR_RESPONSES = {code: ErrorEnvelope for code in (400, 403, 404, 409, 422)}


def error_response(api, request, *, status: int, code: str, message: str, fields=None):
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def fallback_urlpatterns(api) -> list:
    """The API's last URLs: its root, and every path under it that no operation
    takes (or whose segment an operation's converter refuses, /proposals/abc),
    answer the JSON error shape (404), never the site's HTML page."""

    @csrf_exempt
    def not_found(request, rest=""):
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    # "api-root" by ninja's name: the OpenAPI document's path prefix is found by it.
    return [
        path("", not_found, name="api-root"),
        re_path(r"^(?P<rest>.+)$", not_found, name="not-found"),
    ]


def complete_error_responses(schema: dict) -> None:
    """Document, on every operation of an OpenAPI ``schema``, the failures any
    operation of its kind can answer, whatever its decorator listed: 401 and
    403 when it needs a sign-in (no or a bad token; no permission, or a session
    without its CSRF token), 422 and 400 when it takes input (a value the schema
    does not allow; a rule of the regulation or the data past the schema), 404
    when its path names something (no such row, or a segment that is not an id)."""
    ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorEnvelope" not in components:
        envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(envelope.pop("$defs", {}))
        components["ErrorEnvelope"] = envelope
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            statuses = []
            if operation.get("security"):
                statuses += [401, 403]
            parameters = operation.get("parameters", [])
            if parameters or "requestBody" in operation:
                # 422: not what the schema allows; 400: a rule past the schema.
                statuses += [400, 422]
            if any(p.get("in") == "path" for p in parameters):
                statuses.append(404)
            responses = operation.setdefault("responses", {})
            for status in statuses:
                if status not in responses and str(status) not in responses:
                    responses[status] = {
                        "description": HTTPStatus(status).phrase,
                        "content": {"application/json": {"schema": ref}},
                    }


def _field_message(error: dict) -> str:
    ctx = error.get("ctx") or {}
    # Empty or blank where a service needs text: said as the pages say it.
    if (error.get("type"), str(ctx.get("pattern", ""))) == ("string_pattern_mismatch", NOT_BLANK):
        return _("Required.")
    if error.get("type") == "string_too_short" and str(ctx.get("min_length")) == "1":
        return _("Required.")
    return pydantic_error_message(error)


def _fixed_message(code: str) -> str:
    """The message of a failure that says the same whatever raised it."""
    return {
        "unauthenticated": _("Sign in or send a valid API token."),
        "forbidden": _("You do not have permission to do this."),
        "bad_request": _("The form data could not be read."),
        "not_found": _("Not found."),
    }[code]


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
            fields[".".join(loc) or "_"] = _field_message(err)
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

    def answer(status: int, code: str):
        def handler(request, exc):
            message = _fixed_message(code)
            return error_response(api, request, status=status, code=code, message=message)

        return handler

    api.add_exception_handler(AuthenticationError, answer(401, "unauthenticated"))
    api.add_exception_handler(PermissionDenied, answer(403, "forbidden"))
    # A multipart body without its boundary, or cut short: the client's fault.
    api.add_exception_handler(MultiPartParserError, answer(400, "bad_request"))
    api.add_exception_handler(Http404, answer(404, "not_found"))

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
            # 400 as on the proposals list: any text fits the documented
            # parameter, so this is a refusal past the schema, not of it (422).
            status=400,
        ) from None


_PATH_ID = re.compile(r"\{(?:\w+:)?(\w+)\}")


def record_action(
    router,
    path: str,
    *,
    permission: str | tuple[str, ...],
    load,
    answer=None,
    response: dict,
    status: int = 200,
    method: str = "POST",
    **documented,
):
    """Register an endpoint that acts on the one record ``path`` names, in the
    shape every action of the API shares (STYLE rule 1):

    1. ``permission`` (any one, when several are named) before anything is
       read, so a user without it learns nothing of the record: 403;
    2. ``load(id)``: the record, or 404;
    3. the decorated ``body(request, record, *inputs)``, all that differs
       from one action to the next: which service it calls (the one the page
       calls, which checks the rule and ``seen_version`` again under its lock)
       and what the inputs become;
    4. ``answer(result)``, sent with ``status``: ``result`` is what the body
       returned, or the record when it returned nothing; without ``answer``,
       ``result`` itself.

    The endpoint keeps the body's name and docstring (the operation id and
    description) and takes the path's id as an ``Id`` and the body's inputs.
    ``documented`` (summary, description, ...) goes to the operation as is."""
    (key,) = _PATH_ID.findall(path)
    permissions = (permission,) if isinstance(permission, str) else permission

    def register(body):
        @functools.wraps(body)
        def endpoint(request, **inputs):
            if not any(can(request.auth, perm) for perm in permissions):
                raise PermissionDenied(permissions[0])
            record = load(inputs.pop(key))
            result = body(request, record, **inputs)
            result = record if result is None else result
            return Status(status, answer(result) if answer else result)

        request_parameter, _record, *body_inputs = inspect.signature(body).parameters.values()
        path_id = inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Id)
        endpoint.__signature__ = inspect.Signature([request_parameter, path_id, *body_inputs])
        router.api_operation([method], path, response=response, **documented)(endpoint)
        return endpoint

    return register
