"""Every message template exists in every language, and renders as plain text."""

import pytest
from django.conf import settings

from aftersales.core.bidi import isolate
from aftersales.core.errors import DomainError
from aftersales.notifications.rendering import PARTS, render_message, template_files, template_keys


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
