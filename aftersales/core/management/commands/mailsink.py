"""A local SMTP server that keeps every message it receives as a file.

For `make run` on a laptop: notices really go out over SMTP and land in
var/mail/ instead of a customer's inbox. Never for production.
"""

import time
from email import message_from_bytes, policy
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class _Keep:
    def __init__(self, folder: Path, stdout):
        self.folder = folder
        self.stdout = stdout

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{time.monotonic_ns()}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        subject = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )["Subject"]
        self.stdout.write(f"mailsink: {', '.join(envelope.rcpt_tos)} · {subject} → {path.name}")
        return "250 Message accepted for delivery"


class Command(BaseCommand):
    help = "Run a local SMTP server on SMTP_HOST:SMTP_PORT that saves mail to var/mail/ (development only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "mailsink is for development; production sends to a real mail server."
            )
        from aiosmtpd.controller import Controller

        folder = Path(settings.VAR_DIR) / "mail"
        folder.mkdir(exist_ok=True)
        controller = Controller(
            _Keep(folder, self.stdout),
            hostname=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            decode_data=False,
        )
        controller.start()
        self.stdout.write(
            f"mailsink: listening on {settings.EMAIL_HOST}:{settings.EMAIL_PORT}, saving to {folder}"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
