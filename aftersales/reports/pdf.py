"""PDF renderer: a Django template and its context in, PDF bytes out.

No side effects (STYLE rule 11): the caller stores or sends the bytes.

The template is rendered here, in the caller's process (it may read the
database); the HTML is laid out by WeasyPrint in a render process of its own
(pdf_process.py), killed after ``settings.PDF_RENDER_TIMEOUT`` seconds
(issue 7: one hostile paragraph once held a worker for 22 minutes and
ignored every signal but SIGKILL). Fonts, and what keeps layout time about
linear in the text, are in pdf_engine.py.
"""

import logging

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.reports import pdf_engine, pdf_process
from aftersales.reports.pdf_engine import FONT_DIR, FONT_FAMILY, FONT_FILES  # noqa: F401

logger = logging.getLogger(__name__)


def font_paths():
    try:
        return pdf_engine.font_paths()
    except pdf_engine.FontMissing as exc:
        raise DomainError(
            "pdf_font_missing",
            _("The PDF font is not installed (%(files)s); run `make setup`.") % {"files": exc},
            status=500,
        ) from None


def fonts_only_fetcher():
    font_paths()
    return pdf_engine.fonts_only_fetcher()


def html_to_pdf(html: str, *, timeout: float | None = None) -> bytes:
    """PDF bytes for ``html``, rendered in a render process that is killed
    after ``timeout`` seconds (default: ``settings.PDF_RENDER_TIMEOUT``)."""
    from django.conf import settings

    font_paths()
    seconds = settings.PDF_RENDER_TIMEOUT if timeout is None else timeout
    try:
        return pdf_process.render(html, timeout=seconds)
    except pdf_process.RenderTimeout:
        raise DomainError(
            "pdf_render_timeout",
            _(
                "The PDF could not be rendered in time; it was stopped after %(seconds)s "
                "seconds. Try again later, and if it keeps happening, tell the administrator."
            )
            % {"seconds": f"{seconds:g}"},
            status=503,
        ) from None
    except pdf_process.RenderFailed as exc:
        logger.error("PDF render failed: %s", exc)
        raise DomainError(
            "pdf_render_failed",
            _("The PDF could not be rendered. The error was recorded; tell the administrator."),
            status=500,
        ) from None


def render_pdf(
    template: str, context: dict, *, language: str | None = None, timeout: float | None = None
) -> bytes:
    """Render ``template`` (HTML with print CSS) with ``context`` to PDF bytes,
    in ``language`` when given (labels, dates), with the CJK font embedded.

    The template is rendered with autoescape on, like any page: text a
    customer wrote shows as text, never as markup. Raises DomainError when the
    render fails or passes its time limit.
    """
    if language:
        with translation.override(language):
            html = render_to_string(template, {**context, "language": language})
    else:
        html = render_to_string(template, context)
    return html_to_pdf(html, timeout=timeout)


def pdf_failed_response(request, exc: DomainError):
    """The page a person sees when their PDF could not be made."""
    from django.shortcuts import render

    response = render(
        request, "reports/pdf_failed.html", {"message": exc.message}, status=exc.status
    )
    response["Cache-Control"] = "private, no-store"
    if exc.status == 503:
        response["Retry-After"] = "60"
    return response
