"""aftersales record-bounce < dsn.eml

Reads one delivery status notification (RFC 3464) from standard input and
marks the notice it is about as failed. Meant to be run by hand or from a mail
server's pipe for the bounce address.
"""

from django.core.management.base import BaseCommand

from aftersales.core.management.rawinput import add_file_argument, read_raw_message
from aftersales.notifications.services import outbox_record_bounce


class Command(BaseCommand):
    help = "Record a bounce (a delivery status notification read from standard input) against its notice."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        add_file_argument(parser, "DSN")

    def handle(self, *args, **options):
        raw = read_raw_message(options, what="a delivery status notification")
        message = outbox_record_bounce(raw)
        # Exit 0 either way: a mail server piping bounces here would otherwise
        # bounce the bounce, and a report about someone else's mail is not an error.
        if message is None:
            self.stdout.write("Not a failure report about one of our messages; nothing changed.")
        else:
            self.stdout.write(
                f"Message #{message.pk} {message.message_id} marked failed: {message.last_error}"
            )
