"""PDF renderer: a Django template and its context in, PDF bytes out.

No side effects (STYLE rule 11): the caller stores or sends the bytes.

Chinese needs a CJK font the machine may not have (a fresh Debian has none:
every ideograph would be an empty box while text extraction still looks
right). The font is Noto Sans SC, installed by ``make setup`` from the npm
package @fontsource/noto-sans-sc into static/vendor/noto-sans-sc/ (see the
Makefile's FONT_DST), and declared here with our own @font-face rules:
- the single-file ``.woff`` subsets, not ``.woff2`` (WeasyPrint decodes WOFF2
  slowly: 9-17 s for a first render), and not fontsource's own CSS, whose
  hundred ``unicode-range`` slices make WeasyPrint draw wrong characters;
- one FontConfiguration and one parsed stylesheet for the process, so the
  font files are read once, not per document.
"""

import atexit
import logging
import threading
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "noto-sans-sc"
FONT_FAMILY = "Noto Sans SC"
FONT_FILES = {
    400: "noto-sans-sc-chinese-simplified-400-normal.woff",
    700: "noto-sans-sc-chinese-simplified-700-normal.woff",
}

# WeasyPrint's layout is not documented as thread-safe, and the shared font
# configuration is mutable state: one document at a time per process.
_lock = threading.Lock()

# WeasyPrint logs every layout step at INFO; only its warnings are news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def font_paths() -> dict[int, Path]:
    paths = {weight: FONT_DIR / name for weight, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise DomainError(
            "pdf_font_missing",
            _("The PDF font is not installed (%(files)s); run `make setup`.")
            % {"files": ", ".join(missing)},
            status=500,
        )
    return paths


def fonts_only_fetcher():
    """A URL fetcher that loads the bundled fonts and nothing else: no
    network, no other local file, whatever ends up in a document's HTML."""
    from weasyprint.urls import URLFetcher

    allowed = {path.as_uri() for path in font_paths().values()}

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url not in allowed:
                raise ValueError(f"PDF documents load no outside resources: {url[:100]}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols=("file",))


@cache
def _fonts():
    """(FontConfiguration, CSS, URL fetcher) built once: the @font-face rules
    for Noto Sans SC."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fetcher = fonts_only_fetcher()
    font_config = FontConfiguration()
    rules = "\n".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; "
        f"font-style: normal; src: url('{path.as_uri()}') format('woff'); }}"
        for weight, path in font_paths().items()
    )
    base = (
        f"{rules}\n"
        f"html {{ font-family: '{FONT_FAMILY}', sans-serif; }}\n"
        "b, strong, th, h1, h2, h3 { font-weight: 700; }\n"
    )
    return font_config, CSS(string=base, font_config=font_config, url_fetcher=fetcher), fetcher


# Let the font configuration go while the interpreter is still whole: its
# finaliser needs modules that are gone at the very end.
atexit.register(_fonts.cache_clear)


def render_pdf(template: str, context: dict, *, language: str | None = None) -> bytes:
    """Render ``template`` (HTML with print CSS) with ``context`` to PDF bytes,
    in ``language`` when given (labels, dates), with the CJK font embedded.

    The template is rendered with autoescape on, like any page: text a
    customer wrote shows as text, never as markup.
    """
    from weasyprint import HTML

    if language:
        with translation.override(language):
            html = render_to_string(template, {**context, "language": language})
    else:
        html = render_to_string(template, context)
    with _lock:
        font_config, base_css, fetcher = _fonts()
        document = HTML(string=html, base_url=str(FONT_DIR), url_fetcher=fetcher)
        return document.write_pdf(stylesheets=[base_css], font_config=font_config)


def acceptance_record_pdf(proposal, *, language: str, printed_at=None) -> bytes:
    """P5: the printable acceptance record of ``proposal``. The caller loads it
    with customer, accepted_by (and profile) and study_requests.department."""
    from django.utils import timezone

    accepted_by = proposal.accepted_by
    name = ""
    if accepted_by is not None:
        profile = getattr(accepted_by, "profile", None)
        name = (
            (profile.display_name if profile else "")
            or accepted_by.get_full_name()
            or accepted_by.get_username()
        )
    return render_pdf(
        "reports/acceptance_record.html",
        {
            "proposal": proposal,
            "received_at": proposal.received_at,
            "accepted_at": proposal.accepted_at,
            "accepted_by_name": name,
            "departments": [s.department for s in proposal.study_requests.all()],
            "company_name": _company_name(),
            "printed_at": printed_at or timezone.now(),
        },
        language=language,
    )


def certificate_pdf(certificate, *, language: str) -> bytes:
    """P12: a certificate of appreciation, in ``language``."""
    from django.utils import timezone

    return render_pdf(
        "reports/certificate.html",
        {
            "certificate": certificate,
            "issued_on": timezone.localtime(certificate.issued_at).date(),
            "company_name": _company_name(),
        },
        language=language,
    )


def _company_name() -> str:
    from django.conf import settings

    return settings.COMPANY_NAME
