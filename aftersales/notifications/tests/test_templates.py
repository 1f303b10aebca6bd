"""Every message template exists in every language, and renders as plain text."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from aftersales.core.bidi import isolate
from aftersales.core.errors import DomainError
from aftersales.notifications.rendering import (
    MESSAGES_DIR,
    PARTS,
    render_message,
    template_files,
    template_keys,
)


def test_every_message_template_exists_in_every_language():
    wanted = {(code, part) for code, _name in settings.LANGUAGES for part in PARTS}
    found = template_files()
    assert {"generic", "test_message"} <= set(found)
    missing = {key: sorted(wanted - have) for key, have in found.items() if wanted - have}
    assert missing == {}, f"message templates missing a language or part: {missing}"


@pytest.mark.parametrize("key", template_keys())
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_template_renders_a_one_line_subject_and_a_body(key, language):
    subject, body = render_message(
        key, language, {"recipient_name": "张三", "subject": "主题", "body": "正文"}
    )
    assert subject and "\n" not in subject
    assert body.strip()


def test_plain_text_is_not_html_escaped():
    subject, body = render_message(
        "generic", "en", {"recipient_name": "Smith & Sons <Ltd>", "subject": "Q&A", "body": "a < b"}
    )
    # Issue 7: typed text between FSI and PDI, and still not escaped.
    assert subject == isolate("Q&A")
    assert "Smith & Sons <Ltd>" in body and "a < b" in body


def test_generic_template_speaks_the_recipients_language():
    _subject, zh = render_message(
        "generic", "zh-hans", {"recipient_name": "张三", "subject": "s", "body": "b"}
    )
    _subject, en = render_message(
        "generic", "en", {"recipient_name": "Jane", "subject": "s", "body": "b"}
    )
    assert zh.startswith(isolate("张三") + "，您好") and "售后服务部" in zh
    assert en.startswith(f"Dear {isolate('Jane')},")


def test_an_unknown_template_is_refused():
    with pytest.raises(DomainError) as exc:
        render_message("no_such_template", "en", {})
    assert exc.value.code == "unknown_template"
    with pytest.raises(DomainError):
        render_message("../../base", "en", {})


@pytest.mark.parametrize(
    "key",
    [
        "proposals/../notifications/generic",
        "proposals/messages/proposal_ack",
        "proposals/proposal_ack.en",
        "/generic",
        "proposals/",
        "Proposals/proposal_ack",
        "no_such_app/proposal_ack",
        # One spelling per template: the generic ones are bare keys.
        "notifications/generic",
    ],
)
def test_a_key_is_an_app_label_and_a_name_and_nothing_else(key):
    with pytest.raises(DomainError) as exc:
        render_message(key, "en", {"subject": "s", "body": "b"})
    assert exc.value.code == "unknown_template"


def test_a_language_cannot_reach_outside_the_messages_folder():
    with pytest.raises(DomainError):
        render_message("generic", "../../en", {"subject": "s", "body": "b"})


def test_notifications_holds_only_the_generic_templates():
    """Issue 8 item 3: a domain's notices live in its own app
    (``<app>/templates/<app>/messages/``), the outbox keeps only generic ones."""
    own = {path.name.split(".", 1)[0] for path in MESSAGES_DIR.iterdir()}

    assert own == {"generic", "test_message"}
    assert {key for key in template_files() if "/" not in key} == {"generic", "test_message"}


def _template_keys_in_code() -> dict[str, set[str]]:
    """{key: {file, ...}} for every message template named in the code: the
    ``template`` argument of ``notify()`` and of every Message look-up, the
    first text argument of a ``*_notice()`` helper, and any string shaped
    ``"<app label>/<name>"`` (constants such as REQUIRED_NOTICE_CONTENT)."""
    labels = {config.label for config in apps.get_app_configs()}
    shaped = re.compile(r"^(?P<app>[a-z_]+)/[a-z0-9_]+$")
    root = Path(settings.BASE_DIR)
    sources = [
        path
        for folder in ("aftersales", "bench")
        for path in (root / folder).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    found: dict[str, set[str]] = {}

    def add(node, path):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.setdefault(node.value, set()).add(str(path.relative_to(root)))

    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = shaped.match(node.value)
                if match and match["app"] in labels:
                    add(node, path)
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            for keyword in node.keywords:
                if keyword.arg == "template":
                    add(keyword.value, path)
            if name.endswith("_notice"):
                texts = [a for a in node.args if isinstance(a, ast.Constant)]
                if texts:
                    add(texts[0], path)
    return found


def test_every_template_key_named_in_the_code_exists_in_every_language():
    """Issue 8 item 3: each ``notify(template=...)`` key, the keys of the
    proposals' notice tables and the keys the seeders and selectors look up all
    resolve, by the app-label convention, to a subject and a body in every
    language."""
    wanted = {(code, part) for code, _name in settings.LANGUAGES for part in PARTS}
    on_disk = template_files()
    named = _template_keys_in_code()

    assert "proposals/proposal_adopted" in named and "proposals/study_requested" in named
    assert len([key for key in named if key.startswith("proposals/")]) >= 17
    unresolved = {
        key: sorted(files) for key, files in named.items() if on_disk.get(key, set()) != wanted
    }
    assert unresolved == {}, f"template keys with no template in every language: {unresolved}"
