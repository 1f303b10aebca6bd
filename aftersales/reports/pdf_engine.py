"""HTML in, PDF bytes out, with WeasyPrint: the fonts, and the text made
safe to lay out. No Django here: this module is all a render process loads
(aftersales/reports/pdf_process.py), so it starts fast and forks clean.

Fonts (see docs/configuration.md and platform-notes):
- Noto Sans SC, from the npm package @fontsource/noto-sans-sc, copied by
  ``make setup`` into static/vendor/noto-sans-sc/: the single-file ``.woff``
  subsets (7,333 ideographs), not ``.woff2`` (WeasyPrint decodes WOFF2
  slowly) and not fontsource's own CSS (its hundred ``unicode-range`` slices
  make WeasyPrint draw wrong characters);
- Noto Emoji (monochrome outlines), from @fontsource/noto-emoji, for emoji;
- HanaMin A and B, Debian's fonts-hanazono (``make sysdeps``), for the
  ideographs Noto Sans SC lacks: CJK Extension B and beyond (𠀀𠀁𪚥, common
  in real names) and the rarer ones of the main block. No npm package covers
  Extension B; HanaMinB covers all of it. Declared with a ``unicode-range``,
  so a document that needs none of them never touches them; one that does
  pays about 0.2 s to subset the 30 MB file.
A missing fallback font is skipped (those characters print as boxes, as
before); a missing Noto Sans SC is an error, since every page needs it.

Layout time. WeasyPrint's line breaking is quadratic in the length of one
text run in two places, measured on 20,000 characters:
- min-content widths (auto table layout, floats, inline blocks, flex items)
  lay out the whole rest of the run once per break opportunity: minutes for
  one long Chinese paragraph in a table cell. Every table here is laid out
  with ``table-layout: fixed`` (the base stylesheet), which needs no
  min-content width; a template must not put customer text in a
  shrink-to-fit box.
- a run with no break opportunity (letters without spaces, "!!!…", a long
  URL) is broken with ``overflow-wrap`` by laying out the whole rest of the
  run once per line: 4 s for 20,000 letters, 16 s for 40,000.
  ``add_break_opportunities`` gives such runs a zero-width space every few
  characters; Pango draws no glyph for it, so text extraction and copying
  return exactly the text that was written.
"""

import atexit
import logging
import re
import time
from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
FONT_FAMILY = "Noto Sans SC"
FONT_FILES = {
    400: FONT_DIR / "noto-sans-sc" / "noto-sans-sc-chinese-simplified-400-normal.woff",
    700: FONT_DIR / "noto-sans-sc" / "noto-sans-sc-chinese-simplified-700-normal.woff",
}
CJK_MAIN = "U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF"
CJK_SUPPLEMENTARY = "U+20000-2A6DF, U+2A700-2EBEF, U+2F800-2FA1F, U+30000-323AF"
EMOJI = (
    "U+00A9, U+00AE, U+203C, U+2049, U+2122, U+2139, U+2194-21AA, U+231A-23FF, U+24C2, "
    "U+25AA-25FE, U+2600-27BF, U+2934-2935, U+2B05-2B55, U+3030, U+303D, U+3297, U+3299, "
    "U+FE0F, U+1F000-1FAFF"
)
HANAZONO = Path("/usr/share/fonts/truetype/hanazono")
# (family, file, unicode-range), tried in this order after Noto Sans SC.
FALLBACK_FONTS = (
    ("Aftersales Emoji", FONT_DIR / "noto-emoji" / "noto-emoji-emoji-400-normal.woff", EMOJI),
    ("Aftersales Han A", HANAZONO / "HanaMinA.ttf", CJK_MAIN),
    ("Aftersales Han B", HANAZONO / "HanaMinB.ttf", CJK_SUPPLEMENTARY),
)

# A run this long with no break opportunity is no word of any language;
# it gets one every BREAK_EVERY characters, so a line breaks within a few
# characters of its end.
UNBROKEN_MAX = 30
BREAK_EVERY = 6
ZWSP = "\u200b"
# Long text goes to WeasyPrint in pieces of about this many characters (see pieces()).
PIECE_LENGTH = 1000
MAX_BLANK_LINES = 2
_BLANK_LINES = re.compile(rf"\n(?:[ \t\r\f\v]*\n){{{MAX_BLANK_LINES + 1},}}")
NOT_TEXT = {"head", "style", "script", "title", "template"}

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; only its warnings are news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class FontMissing(Exception):
    """Noto Sans SC is not installed (``make setup``)."""


def font_paths() -> dict[int, Path]:
    missing = [str(p) for p in FONT_FILES.values() if not p.is_file()]
    if missing:
        raise FontMissing(", ".join(missing))
    return dict(FONT_FILES)


def fallback_fonts() -> list[tuple[str, Path, str]]:
    """The fallback fonts that are installed, in order."""
    return [(family, path, ranges) for family, path, ranges in FALLBACK_FONTS if path.is_file()]


def fonts_only_fetcher():
    """A URL fetcher that loads the bundled fonts and nothing else: no
    network, no other local file, whatever ends up in a document's HTML."""
    from weasyprint.urls import URLFetcher

    allowed = {path.as_uri() for path in font_paths().values()}
    allowed |= {path.as_uri() for _family, path, _ranges in fallback_fonts()}

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url not in allowed:
                raise ValueError(f"PDF documents load no outside resources: {url[:100]}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols=("file",))


def _font_face(family: str, path: Path, *, weight: int = 400, ranges: str = "") -> str:
    kind = "woff" if path.suffix == ".woff" else "truetype"
    unicode_range = f" unicode-range: {ranges};" if ranges else ""
    return (
        f"@font-face {{ font-family: '{family}'; font-weight: {weight}; font-style: normal; "
        f"src: url('{path.as_uri()}') format('{kind}');{unicode_range} }}"
    )


def base_stylesheet_text() -> str:
    rules = [_font_face(FONT_FAMILY, path, weight=w) for w, path in font_paths().items()]
    families = [f"'{FONT_FAMILY}'"]
    for family, path, ranges in fallback_fonts():
        # One face serves both weights: bold is synthesised, as for any
        # font without a bold face.
        rules.append(_font_face(family, path, ranges=ranges))
        families.append(f"'{family}'")
    return (
        "\n".join(rules) + f"\nhtml {{ font-family: {', '.join(families)}, sans-serif; "
        # No ligatures: one would join letters across an inserted zero-width
        # space ("f\u200bfl" as one glyph), and that glyph extracts wrongly.
        "font-variant-ligatures: none; }\n"
        "b, strong, th, h1, h2, h3 { font-weight: 700; }\n"
        # Auto table layout measures every cell's min-content width, which is
        # quadratic in a long paragraph (see the module docstring).
        "table { table-layout: fixed; }\n"
    )


@cache
def _fonts():
    """(FontConfiguration, CSS, URL fetcher), built once per process: the
    font files are read and registered once, not per document."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fetcher = fonts_only_fetcher()
    font_config = FontConfiguration()
    css = CSS(string=base_stylesheet_text(), font_config=font_config, url_fetcher=fetcher)
    return font_config, css, fetcher


def add_break_opportunities(text: str) -> str:
    """``text`` with a zero-width space every BREAK_EVERY characters inside
    each run longer than UNBROKEN_MAX that has no line-break opportunity,
    at grapheme-cluster boundaries only; anything else is left alone (so
    Chinese, which may break between any two ideographs, and ordinary words
    never change)."""
    if len(text) <= UNBROKEN_MAX:
        return text
    from weasyprint.text.line_break import get_log_attrs

    attrs = get_log_attrs(text, None)  # one per character, and one for the end
    pieces, last, run_start = [], 0, 0
    for i in range(1, len(text) + 1):
        if i < len(text) and not attrs[i].is_line_break:
            continue
        if i - run_start > UNBROKEN_MAX:
            since = 0
            for j in range(run_start + 1, i):
                since += 1
                if since >= BREAK_EVERY and attrs[j].is_cursor_position:
                    pieces.append(text[last:j])
                    last, since = j, 0
        run_start = i
    if not pieces:
        return text
    pieces.append(text[last:])
    return ZWSP.join(pieces)


def cap_blank_lines(text: str) -> str:
    """Runs of more than MAX_BLANK_LINES blank lines cut to that many: where
    line breaks are kept (``white-space: pre-line``), twenty thousand of them
    are four hundred empty pages, and no text."""
    return _BLANK_LINES.sub("\n" * (MAX_BLANK_LINES + 1), text)


def pieces(text: str) -> list[str]:
    """``text`` cut at line-break opportunities into pieces of about
    PIECE_LENGTH characters. WeasyPrint lays out a whole text box again for
    each line when the start of it fits on one line (narrow characters:
    spaces, "i", dots, combining marks): pieces of bounded length keep that
    bounded. Cut only where a line may break anyway, so the pieces lay out
    as the whole text would."""
    if len(text) <= PIECE_LENGTH:
        return [text]
    from weasyprint.text.line_break import get_log_attrs

    attrs = get_log_attrs(text, None)
    out, last, i = [], 0, PIECE_LENGTH
    while i < len(text):
        while i < len(text) and not attrs[i].is_line_break:
            i += 1
        if i >= len(text):
            break
        out.append(text[last:i])
        last, i = i, i + PIECE_LENGTH
    out.append(text[last:])
    return out


def _prepared(text: str) -> list[str]:
    return pieces(add_break_opportunities(cap_blank_lines(text)))


def prepare_tree(root) -> None:
    """Make the document's text quick to lay out, in place, without changing
    a character of it: break opportunities in long unbreakable runs, runs
    of blank lines capped, long text split into pieces (``<span>``s)."""
    from xml.etree.ElementTree import Element

    def spans(texts):
        for text in texts:
            span = Element("span")
            span.text = text
            yield span

    for element in list(root.iter()):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in NOT_TEXT:
            continue
        if element.text:
            first, *rest = _prepared(element.text)
            element.text = first
            for index, span in enumerate(spans(rest)):
                element.insert(index, span)
        # Tails: the text after each child, up to the next one.
        for index in range(len(element) - 1, -1, -1):
            child = element[index]
            if child.tail:
                first, *rest = _prepared(child.tail)
                child.tail = first
                for offset, span in enumerate(spans(rest), start=1):
                    element.insert(index + offset, span)


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` in this process, with the shared fonts. Unbounded in
    time: the application calls it only inside a render process."""
    from weasyprint import HTML

    font_config, base_css, fetcher = _fonts()
    started = time.perf_counter()
    document = HTML(string=html, base_url=str(FONT_DIR), url_fetcher=fetcher)
    prepare_tree(document.etree_element)
    data = document.write_pdf(stylesheets=[base_css], font_config=font_config)
    logger.debug("PDF rendered in %.2f s, %d bytes", time.perf_counter() - started, len(data))
    return data


def warm_up() -> None:
    """Load the fonts and lay out a line of each script once, so the
    processes forked from this one start with warm caches."""
    html_to_pdf(
        "<html><body><table><tr><th>受理</th><td>建议 Proposal 123 😀</td></tr></table>"
        "</body></html>"
    )


def _release_fonts() -> None:
    # Let the font configuration go while the interpreter is still whole: its
    # finaliser needs modules that are gone at the very end.
    _fonts.cache_clear()


atexit.register(_release_fonts)
