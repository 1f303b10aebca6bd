"""Raw mail for commands a mail server pipes into (intake-email, record-bounce)."""

import sys

from django.core.management.base import CommandError


def add_file_argument(parser, what: str) -> None:
    parser.add_argument("--file", help=f"Read the {what} from this file instead of standard input.")


def read_raw_message(options: dict, *, what: str) -> bytes:
    """The bytes of one message: from --file, else from standard input (or the
    ``stdin`` option tests pass), never decoded. Empty input is an error."""
    if options.get("file"):
        try:
            with open(options["file"], "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from None
    else:
        stream = options.get("stdin") or sys.stdin
        raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
    if not raw.strip():
        raise CommandError(f"No input: pipe {what} to this command.")
    return raw
