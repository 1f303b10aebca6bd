"""Message templates: plain-text Django templates, one pair per language.

``templates/notifications/messages/<key>.<language>.subject.txt`` and
``.body.txt``, for every language in settings.LANGUAGES. A test fails when a
key lacks one of them, so a customer is never written to in the wrong language
because a translation was forgotten.
"""

import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
MESSAGES_DIR = TEMPLATE_DIR / "notifications" / "messages"
PARTS = ("subject", "body")
_NAME = re.compile(r"^(?P<key>[a-z0-9_]+)\.(?P<lang>[a-z-]+)\.(?P<part>subject|body)\.txt$")


@cache
def _engine() -> Engine:
    # Plain text: no HTML escaping, or "&" in a customer's name would arrive as "&amp;".
    # ``|isolate`` puts what a person typed (a name, a title, a note) between
    # FSI and PDI: plain text has no <bdi>, and an RLO in a name must not turn
    # the rest of the subject or line around in the recipient's mail reader.
    return Engine(
        dirs=[str(TEMPLATE_DIR)],
        autoescape=False,
        builtins=["aftersales.core.templatetags.bidi"],
    )


def template_files() -> dict[str, set[tuple[str, str]]]:
    """{key: {(language, part), ...}} for every message template on disk."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in MESSAGES_DIR.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.setdefault(match["key"], set()).add((match["lang"], match["part"]))
    return found


def template_keys() -> list[str]:
    return sorted(template_files())


def render_message(template: str, language: str, context: dict) -> tuple[str, str]:
    """(subject, body) of ``template`` in ``language``, rendered with ``context``."""
    if not _NAME.match(f"{template}.{language}.subject.txt"):
        raise DomainError(
            "unknown_template", _("There is no message template %(key)s.") % {"key": template}
        )
    engine = _engine()
    parts = {}
    # Filters such as |date follow the recipient's language, not the sender's.
    with translation.override(language):
        for part in PARTS:
            name = f"notifications/messages/{template}.{language}.{part}.txt"
            try:
                parts[part] = engine.get_template(name).render(Context(context, autoescape=False))
            except TemplateDoesNotExist:
                raise DomainError(
                    "unknown_template",
                    _("There is no message template %(key)s in %(language)s.")
                    % {"key": template, "language": language},
                ) from None
    # A subject is one header line: newlines there would be refused by the mail library.
    subject = " ".join(parts["subject"].split())
    body = parts["body"].strip() + "\n"
    return subject, body


def language_or_default(language: str | None) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return language if language in codes else settings.LANGUAGE_CODE
