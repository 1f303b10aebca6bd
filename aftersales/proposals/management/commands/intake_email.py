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

from django.core.management.base import BaseCommand

from aftersales.core.management.rawinput import add_file_argument, read_raw_message
from aftersales.proposals.mail.intake import describe, mail_intake
from aftersales.proposals.models import InboundMail

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Take one email (raw RFC 822 on standard input) into the proposals intake."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        add_file_argument(parser, "message")

    def handle(self, *args, **options):
        raw = read_raw_message(options, what="one email message")
        try:
            result = mail_intake(raw, source=InboundMail.Source.PIPE)
        except Exception as exc:  # noqa: BLE001 - nothing was stored: the server must keep it
            self.stderr.write(f"temporary failure, nothing stored: {describe(exc)}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(result.line)
