"""The OpenAPI document says what the API does (issue 7 item 7).

The whole check is schemathesis against a running server (scripts/schemathesis.sh,
a phase of .ci/run); these are the fast checks of what it found.

The document only grows: ``openapi_snapshot.json`` holds every path, method,
status and response field it had. A path or field that disappears fails
``test_the_openapi_document_keeps_every_path_and_response_field``; new ones are
welcome. After adding some, refresh the copy with

    AFTERSALES_UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/pytest aftersales/core/tests/test_openapi.py -k keeps

and commit it.
"""

import json
import os
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from aftersales.config.api import api
from aftersales.core.roles import Role
from aftersales.customers.services import customer_create
from aftersales.notifications.models import Channel
from aftersales.notifications.services import notify
from aftersales.proposals.tests.factories import adopted, make_department, make_proposal

pytestmark = pytest.mark.django_db

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")
ERROR_KEYS = {"code", "message", "fields"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def _models_in(annotation, found: set) -> None:
    """Every pydantic model an annotation reaches, through lists, unions and fields."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found)


def test_no_two_schema_classes_share_a_component_name():
    # Two classes named EventOut (proposals and notifications) made the outbox
    # endpoints documented with the proposals' event fields.
    models: set = set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    _models_in(model, models)
                for model in (operation.response_models or {}).values():
                    _models_in(model, models)
    names: dict[str, set] = {}
    for model in models:
        names.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")

    assert {name: where for name, where in names.items() if len(where) > 1} == {}


def test_the_outbox_documents_its_own_event_fields(document):
    detail = document["components"]["schemas"]["MessageDetailOut"]
    ref = detail["properties"]["events"]["items"]["$ref"].rsplit("/", 1)[-1]

    assert set(document["components"]["schemas"][ref]["properties"]) == {
        "at",
        "old_status",
        "new_status",
        "by_id",
        "note",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/proposals/abc"),
        ("get", "/api/v1/proposals/abc/acceptance-record.pdf"),
        ("post", "/api/v1/proposals/abc/accept"),
        ("get", "/api/v1/nope"),
        ("post", "/api/v1/nope"),
        ("get", "/api/v1/"),
    ],
)
def test_any_path_under_the_api_that_no_operation_takes_answers_the_json_404(
    client_for, make_staff, method, path
):
    client = client_for(make_staff("mgr", Role.CS_MANAGER))

    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) == ERROR_KEYS
    assert response.json()["error"]["code"] == "not_found"


def test_every_operation_documents_the_failures_it_can_answer(document):
    for path, method, operation in _operations(document):
        statuses = set(operation["responses"])
        assert {"401", "403"} <= statuses, (method, path)
        if operation.get("parameters") or "requestBody" in operation:
            assert {"400", "422"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (path, status)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/v1/proposals/export.xlsx", XLSX),
        ("/api/v1/proposals/{proposal_id}/acceptance-record.pdf", "application/pdf"),
        ("/api/v1/proposals/certificates/{certificate_id}/file", "application/pdf"),
        ("/api/v1/proposals/attachments/{attachment_id}", "application/octet-stream"),
        ("/api/v1/proposals/inbound-mail/{mail_id}/raw", "message/rfc822"),
    ],
)
def test_each_download_documents_its_media_type(document, path, media_type):
    content = document["paths"][path]["get"]["responses"]["200"]["content"]

    assert list(content) == [media_type]
    assert content[media_type]["schema"] == {"type": "string", "format": "binary"}


def test_the_export_answers_the_media_type_it_documents(client_for, make_staff, document):
    documented = document["paths"]["/api/v1/proposals/export.xlsx"]["get"]["responses"]["200"]
    client = client_for(make_staff("mgr", Role.CS_MANAGER))

    response = client.get("/api/v1/proposals/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] in documented["content"]


def test_an_empty_note_is_accepted_where_the_schema_allows_it(client_for, make_staff, document):
    # Recording implementation: note is optional and may be empty (P7).
    schema = document["components"]["schemas"]["ImplementedIn"]["properties"]["note"]
    assert "minLength" not in schema and "pattern" not in schema
    specialist = make_staff("spec", Role.AFTERSALES_SPECIALIST)
    decider = make_staff("csm", Role.CS_MANAGER)
    department = make_department(manager=make_staff("rdm", Role.DEPARTMENT_MANAGER), code="rd")
    proposal = adopted(make_proposal(), by=specialist, decider=decider, departments=[department])

    response = client_for(decider).post(
        f"/api/v1/proposals/{proposal.pk}/implemented",
        {"seen_version": proposal.version, "note": ""},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "implemented"


def test_an_empty_note_is_accepted_when_a_letter_is_marked_printed(client_for, make_staff):
    customer = customer_create(name="李四", postal_address="上海市浦东新区")
    message = notify(template="test_message", context={}, customer=customer)
    assert message.channel == Channel.LETTER

    response = client_for(make_staff("csm", Role.CS_MANAGER)).post(
        f"/api/v1/notifications/{message.pk}/done", {"note": ""}, content_type="application/json"
    )

    assert response.status_code == 200, response.content


def test_a_note_the_service_requires_is_required_by_the_schema_too(
    client_for, make_staff, document
):
    # Not adopting needs a note (P8): the schema says so, and a blank one is
    # refused as the schema refuses it (422), not by the service after (400).
    schema = document["components"]["schemas"]["NoteIn"]["properties"]["note"]
    assert schema["minLength"] == 1 and schema["pattern"] == r"\S"
    proposal = make_proposal()

    response = client_for(make_staff("csm", Role.CS_MANAGER)).post(
        f"/api/v1/proposals/{proposal.pk}/not-adopt",
        {"seen_version": proposal.version, "note": "  "},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid")
    assert "note" in response.json()["error"]["fields"]


@pytest.mark.parametrize("value", [0, "0", 20240101, "20240101"])
def test_a_date_must_be_written_as_a_date(client_for, make_staff, value):
    # pydantic read 0 as 1970-01-01 (a Unix time) where the document says a date.
    client = client_for(make_staff("csm", Role.CS_MANAGER))

    response = client.get("/api/v1/proposals/", {"received_to": value})

    assert response.status_code == 422
    assert "received_to" in response.json()["error"]["fields"]


def test_a_score_must_be_a_number(client_for, make_staff):
    client = client_for(make_staff("gm", Role.GENERAL_MANAGER))

    response = client.post(
        "/api/v1/proposals/evaluations/1/scores",
        {"creativity": "", "feasibility": 1, "benefit": 1},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "creativity" in response.json()["error"]["fields"]


# --- the document only grows (issue 8) ----------------------------------------------


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _fields(schema: dict, components: dict, prefix: str = "", depth: int = 0) -> set[str]:
    """Every field name a response can carry, dotted (items of a list as []),
    through references, unions and nested objects."""
    if depth > 8:
        return set()
    schema = _resolve(schema, components)
    found: set[str] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found |= _fields(part, components, prefix, depth + 1)
    if "items" in schema:
        found |= _fields(schema["items"], components, f"{prefix}[]", depth + 1)
    for name, child in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        found.add(path)
        found |= _fields(child, components, path, depth + 1)
    return found


def outline(document: dict) -> dict:
    """{path: {method: {status: [field, ...]}}}: what clients rely on."""
    components = document["components"]["schemas"]
    result: dict = {}
    for path, method, operation in _operations(document):
        statuses = {}
        for status, response in operation["responses"].items():
            fields = set()
            for content in response.get("content", {}).values():
                fields |= _fields(content.get("schema", {}), components)
            statuses[status] = sorted(fields)
        result.setdefault(path, {})[method] = dict(sorted(statuses.items()))
    return dict(sorted(result.items()))


def test_the_openapi_document_keeps_every_path_and_response_field(document):
    now = outline(document)
    if os.environ.get("AFTERSALES_UPDATE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(now, indent=1, ensure_ascii=False) + "\n")
    before = json.loads(SNAPSHOT.read_text())

    missing = []
    for path, methods in before.items():
        for method, statuses in methods.items():
            if method not in now.get(path, {}):
                missing.append(f"{method.upper()} {path}")
                continue
            for status, fields in statuses.items():
                gone = set(fields) - set(now[path][method].get(status, []))
                if status not in now[path][method]:
                    missing.append(f"{method.upper()} {path} {status}")
                elif gone:
                    missing.append(f"{method.upper()} {path} {status}: {sorted(gone)}")

    assert missing == []


def test_a_multipart_body_without_its_boundary_is_refused_not_a_500(client_for, make_staff):
    # schemathesis: "Content-Type: multipart/form-data" with no boundary gave 500.
    proposal = make_proposal()
    client = client_for(make_staff("csm", Role.CS_MANAGER))

    response = client.generic(
        "POST",
        f"/api/v1/proposals/{proposal.pk}/attachments",
        b"x",
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
