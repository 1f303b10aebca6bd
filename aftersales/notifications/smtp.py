"""Handing one message to the configured mail server, and reading its answer."""

import smtplib
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend

from aftersales.core.fields import clean_line
from aftersales.notifications.failures import INVALID

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class _KeepsReply:
    # smtplib.sendmail() drops the server's answer to DATA ("250 2.0.0 Ok:
    # queued as 4BX..."); that answer is what tells an operator which queue
    # entry at the relay to look for, so it is kept here.
    last_reply = ""

    def data(self, msg):
        code, text = super().data(msg)
        self.last_reply = f"{code} {text.decode('utf-8', 'replace')}"
        return code, text


class _SMTP(_KeepsReply, smtplib.SMTP):
    pass


class _SMTP_SSL(_KeepsReply, smtplib.SMTP_SSL):  # noqa: N801 - mirrors smtplib's name
    pass


class ReplyKeepingBackend(EmailBackend):
    """Django's SMTP backend, unchanged but for keeping the server's reply."""

    last_reply = ""

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP

    def _send(self, email_message):
        sent = super()._send(email_message)
        # Read before send_messages() closes the connection and forgets it.
        self.last_reply = getattr(self.connection, "last_reply", "")
        return sent


class NoticeEmail(EmailMessage):
    def message(self):
        msg = super().message()
        if not self.subject.isascii():
            # Django 5.2 folds a long encoded subject before its first encoded
            # word, which readers decode with a leading space. Encoding with the
            # header's name counted folds between encoded words instead, and the
            # subject arrives exactly as written.
            msg.replace_header(
                "Subject", Header(self.subject, "utf-8", header_name="Subject").encode()
            )
        return msg


@dataclass
class SendResult:
    ok: bool
    response: str = ""
    error: str = ""
    # False when the server refused this recipient or message for good (5xx):
    # trying again would only be refused again.
    retry: bool = True


def send(message) -> SendResult:
    """Send ``message`` (a notifications Message) once. Never raises for a
    delivery problem; the caller records the result."""
    if not message.address:
        return SendResult(False, error="No address to send to.", retry=False)
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": message.auto_submitted,
        # Exchange and Outlook otherwise answer with out-of-office replies.
        "X-Auto-Response-Suppress": "All",
    }
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
        headers["References"] = message.in_reply_to
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        connection = ReplyKeepingBackend(fail_silently=False)
    else:
        # Another backend (console, locmem) was configured on purpose: use it as is.
        connection = get_connection(fail_silently=False)
    # Names and subjects are one line since issue 7; a row stored before
    # then (or a future path that forgets) must still not break the header.
    name = clean_line(message.recipient_name)
    email = NoticeEmail(
        subject=clean_line(message.subject),
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((name, message.address)) if name else message.address],
        headers=headers,
        connection=connection,
    )
    try:
        sent = email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        return SendResult(False, error=_reply(code, text), retry=not 500 <= code < 600)
    except smtplib.SMTPDataError as exc:
        return SendResult(
            False, error=_reply(exc.smtp_code, exc.smtp_error), retry=not 500 <= exc.smtp_code < 600
        )
    except smtplib.SMTPResponseException as exc:
        # Sender refused, authentication failed, ...: the server or our own
        # configuration is at fault, not this message. Retried with back-off.
        return SendResult(False, error=_reply(exc.smtp_code, exc.smtp_error))
    except (smtplib.SMTPException, OSError) as exc:
        # Connection refused or lost, time-outs, TLS failures.
        return SendResult(False, error=f"{type(exc).__name__}: {exc}")
    except (ValueError, UnicodeError) as exc:
        # The message itself cannot be written as mail (a malformed address):
        # no later attempt would do better.
        return SendResult(False, error=f"{INVALID}{type(exc).__name__}: {exc}", retry=False)
    if not sent:
        return SendResult(False, error="The mail backend sent nothing.")
    return SendResult(True, response=getattr(connection, "last_reply", ""))


def _reply(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()
