"""Reading delivery status notifications (RFC 3464 bounces).

A DSN is ``multipart/report; report-type=delivery-status`` with three parts: a
human-readable explanation, a ``message/delivery-status`` part (per-message
fields, then one block per recipient: Action, Status, Diagnostic-Code...), and
the original message or just its headers (``message/rfc822`` or
``text/rfc822-headers``). Only a DSN whose Action is ``failed`` counts: a
``delayed`` report means the relay is still trying, and an ordinary reply that
quotes a notice must never mark it failed.
"""

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message as MailMessage
from email.parser import BytesHeaderParser, HeaderParser

_MSGID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


@dataclass
class Bounce:
    action: str
    status: str = ""
    diagnostic: str = ""
    recipient: str = ""
    # The Message-ID of the notice that bounced, first the most reliable.
    message_ids: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.action == "failed"

    def summary(self) -> str:
        parts = [p for p in (self.status, self.diagnostic) if p]
        text = " ".join(parts) or "delivery failed"
        return f"{self.recipient}: {text}" if self.recipient else text


def parse_dsn(raw: bytes) -> Bounce | None:
    """The DSN in ``raw``, or None when ``raw`` is not a delivery status notification."""
    try:
        mail = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # noqa: BLE001 - malformed mail is simply not a DSN
        return None
    if mail.get_content_type() != "multipart/report" or not mail.is_multipart():
        return None
    status_part = original = None
    for part in mail.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and status_part is None:
            status_part = part
        elif ctype in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = part
    if status_part is None:
        return None
    blocks = _status_blocks(status_part)
    recipients = blocks[1:] or blocks[:1]
    # The worst recipient decides: any failed recipient means the notice failed.
    chosen = next(
        (b for b in recipients if (b.get("Action") or "").strip().lower() == "failed"), None
    )
    chosen = chosen or (recipients[0] if recipients else None)
    if chosen is None:
        return None
    bounce = Bounce(
        action=(chosen.get("Action") or "").strip().lower(),
        status=(chosen.get("Status") or "").strip(),
        diagnostic=_unfold(chosen.get("Diagnostic-Code") or ""),
        recipient=_address(chosen.get("Final-Recipient") or chosen.get("Original-Recipient") or ""),
    )
    ids = []
    if original is not None:
        headers = _original_headers(original)
        if headers is not None:
            ids += _MSGID.findall(headers.get("Message-ID") or "")
    for name in ("In-Reply-To", "References"):
        ids += _MSGID.findall(mail.get(name) or "")
    bounce.message_ids = list(dict.fromkeys(ids))
    return bounce


def _status_blocks(part: MailMessage) -> list[MailMessage]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    # Some MTAs send the part base64- or quoted-printable-encoded, which the
    # parser leaves as text: split the field blocks by blank lines ourselves.
    text = part.get_payload(decode=True) or b""
    text = text.decode("utf-8", "replace").replace("\r\n", "\n")
    return [
        HeaderParser().parsestr(block.strip() + "\n")
        for block in re.split(r"\n\s*\n", text)
        if block.strip()
    ]


def _original_headers(part: MailMessage) -> MailMessage | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        return payload[0]
    data = part.get_payload(decode=True)
    if not data:
        return None
    return BytesHeaderParser().parsebytes(data)


def _unfold(value: str) -> str:
    return " ".join(str(value).split())


def _address(value: str) -> str:
    # "rfc822; someone@example.com" -> "someone@example.com"
    value = _unfold(value)
    return value.split(";", 1)[1].strip() if ";" in value else value
