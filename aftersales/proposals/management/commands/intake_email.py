"""aftersales intake-email < message.eml

Reads one raw RFC 822 message from standard input, for a mail server's pipe
(P4). Prints one line starting with what became of it: created, attached,
duplicate, ignored (automatic mail) or quarantined, then the proposal's
reference and the stored mail's number.

Exit 0 whenever the message was stored or deliberately skipped; 75
(EX_TEMPFAIL) only when nothing could be stored, so the mail server keeps
the message and delivers it again later.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from aftersales.proposals.mail.intake import describe, mail_intake
from aftersales.proposals.models import InboundMail

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Take one email (raw RFC 822 on standard input) into the proposals intake."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Read the message from this file instead.")

    def handle(self, *args, **options):
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
            raise CommandError("No input: pipe one email message to this command.")
        try:
            result = mail_intake(raw, source=InboundMail.Source.PIPE)
        except Exception as exc:  # noqa: BLE001 - nothing was stored: the server must keep it
            self.stderr.write(f"temporary failure, nothing stored: {describe(exc)}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(result.line)
