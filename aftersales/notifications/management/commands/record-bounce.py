"""aftersales record-bounce < dsn.eml

Reads one delivery status notification (RFC 3464) from standard input and
marks the notice it is about as failed. Meant to be run by hand or from a mail
server's pipe for the bounce address.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from aftersales.notifications.services import outbox_record_bounce


class Command(BaseCommand):
    help = "Record a bounce (a delivery status notification read from standard input) against its notice."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Read the DSN from this file instead of standard input.")

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
            raise CommandError("No input: pipe a delivery status notification to this command.")
        message = outbox_record_bounce(raw)
        # Exit 0 either way: a mail server piping bounces here would otherwise
        # bounce the bounce, and a report about someone else's mail is not an error.
        if message is None:
            self.stdout.write("Not a failure report about one of our messages; nothing changed.")
        else:
            self.stdout.write(
                f"Message #{message.pk} {message.message_id} marked failed: {message.last_error}"
            )
