"""Message templates: plain-text Django templates, one pair per language.

Each app keeps its own notices: the key ``"<app>/<name>"`` names
``<app>/templates/<app>/messages/<name>.<language>.subject.txt`` and
``.body.txt`` (``"proposals/proposal_adopted"`` is the proposals app's); a
bare ``"<name>"`` names one of this app's generic templates. So the outbox
renders a domain's notices without knowing the domain apps.

Every key has both parts in every language in settings.LANGUAGES. A test fails
when one is missing, so a customer is never written to in the wrong language
because a translation was forgotten.
"""

import re
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError

PARTS = ("subject", "body")
OWN_APP = "notifications"
MESSAGES_DIR = Path(__file__).resolve().parent / "templates" / OWN_APP / "messages"
# An app label and a name, or a bare name: one "/" at most, no dots, so a key
# can never reach outside an app's messages/ folder.
_KEY = re.compile(r"^(?:(?P<app>[a-z][a-z0-9_]*)/)?(?P<name>[a-z0-9_]+)$")
_FILE = re.compile(r"^(?P<name>[a-z0-9_]+)\.(?P<lang>[a-z-]+)\.(?P<part>subject|body)\.txt$")


@cache
def _engine() -> Engine:
    # Plain text: no HTML escaping, or "&" in a customer's name would arrive as "&amp;".
    # ``|isolate`` puts what a person typed (a name, a title, a note) between
    # FSI and PDI: plain text has no <bdi>, and an RLO in a name must not turn
    # the rest of the subject or line around in the recipient's mail reader.
    return Engine(
        app_dirs=True,
        autoescape=False,
        builtins=["aftersales.core.templatetags.bidi"],
    )


def _split(key: str) -> tuple[str, str] | None:
    """(app label, name) of a well-formed key whose app is installed, else None."""
    match = _KEY.match(key)
    if not match:
        return None
    app = match["app"] or OWN_APP
    if match["app"] == OWN_APP:
        # "notifications/generic" would be a second spelling of "generic".
        return None
    try:
        apps.get_app_config(app)
    except LookupError:
        return None
    return app, match["name"]


def _messages_dir(app_label: str) -> Path:
    config = apps.get_app_config(app_label)
    return Path(config.path) / "templates" / app_label / "messages"


def template_path(key: str, language: str, part: str) -> Path:
    """The file on disk that holds ``part`` of ``key`` in ``language``."""
    app, name = _split(key) or (None, None)
    if app is None:
        raise ValueError(f"not a message template key: {key!r}")
    return _messages_dir(app) / f"{name}.{language}.{part}.txt"


def template_files() -> dict[str, set[tuple[str, str]]]:
    """{key: {(language, part), ...}} for every message template of every app."""
    found: dict[str, set[tuple[str, str]]] = {}
    for config in apps.get_app_configs():
        folder = _messages_dir(config.label)
        if not folder.is_dir():
            continue
        prefix = "" if config.label == OWN_APP else f"{config.label}/"
        for path in folder.iterdir():
            match = _FILE.match(path.name)
            if match:
                key = prefix + match["name"]
                found.setdefault(key, set()).add((match["lang"], match["part"]))
    return found


def template_keys() -> list[str]:
    return sorted(template_files())


def render_message(template: str, language: str, context: dict) -> tuple[str, str]:
    """(subject, body) of ``template`` in ``language``, rendered with ``context``."""
    where = _split(template)
    if where is None or not re.fullmatch(r"[a-z-]+", language):
        raise DomainError(
            "unknown_template", _("There is no message template %(key)s.") % {"key": template}
        )
    app, name = where
    engine = _engine()
    parts = {}
    # Filters such as |date follow the recipient's language, not the sender's.
    with translation.override(language):
        for part in PARTS:
            path = f"{app}/messages/{name}.{language}.{part}.txt"
            try:
                parts[part] = engine.get_template(path).render(Context(context, autoescape=False))
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
