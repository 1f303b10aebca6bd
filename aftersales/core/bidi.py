"""Keeping what a person typed from turning the text around it.

A right-to-left override (U+202E) or an unclosed embedding in a customer's
name reverses everything after it on the same line: the rest of a timeline
entry, a mail subject, a file name. Pages wrap such text in ``<bdi>``; where
markup is not possible (plain-text mail, ``<title>``, attributes, file names)
it goes between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, which
browsers, mail readers and WeasyPrint treat the same way.
"""

import re

FSI = "\u2068"
PDI = "\u2069"

# Marks that change the direction of the text after them: embeddings and
# overrides (LRE RLE PDF LRO RLO), isolates (LRI RLI FSI PDI) and the
# direction marks (LRM RLM ALM).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def isolate(text) -> str:
    """``text`` between FSI and PDI, line by line (a line break ends every
    isolate, so each line gets its own). Empty text stays empty."""
    text = "" if text is None else str(text)
    return "\n".join(f"{FSI}{line}{PDI}" if line else line for line in text.split("\n"))


def typed_file_name(name: str, *, default: str = "file") -> str:
    """A download's file name from a name someone typed: direction marks
    dropped (inside the name they would still show ``exe.pdf`` for
    ``pdf.exe``), the stem isolated, the extension kept outside so the saved
    file still opens with the right program."""
    name = BIDI_CONTROLS.sub("", name or "").strip() or default
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return isolate(name)
    return f"{isolate(stem)}.{extension}"
