"""P4: reading the intake mailbox over IMAP (settings INTAKE_IMAP_*).

Every message in the folder is handed to the intake on its own, then moved
to the done folder: never deleted, and never moved before it is stored. A
message the intake could not store (the database is down) stays where it is
and is read again on the next run; one bad message never stops the rest.
"""

import base64
import contextlib
import imaplib
import logging
import re
import ssl

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from aftersales.proposals.mail.intake import mail_intake
from aftersales.proposals.models import InboundMail

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1", "localhost")
TIMEOUT_SECONDS = 60
_LIST_DELIMITER = re.compile(rb'^\([^)]*\) (?:"((?:\\.|[^"\\])+)"|NIL)')


class ImapError(Exception):
    """The server refused a step of the run (log in, select, create)."""


def _connect() -> imaplib.IMAP4:
    host, port = settings.INTAKE_IMAP_HOST, settings.INTAKE_IMAP_PORT
    security = settings.INTAKE_IMAP_SECURITY
    if security == "tls":
        conn = imaplib.IMAP4_SSL(
            host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    else:
        if security == "plain" and host not in LOOPBACK:
            raise ImproperlyConfigured(
                "INTAKE_IMAP_SECURITY=plain sends the mailbox password in clear: only on loopback."
            )
        conn = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
        if security == "starttls":
            conn.starttls(ssl_context=ssl.create_default_context())
    try:
        conn.login(settings.INTAKE_IMAP_USER, settings.INTAKE_IMAP_PASSWORD)
    except Exception:
        _logout(conn)
        raise
    return conn


def _logout(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()


def _utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3)."""
    out, pending = [], []

    def flush():
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mailbox(conn: imaplib.IMAP4, name: str) -> str:
    """``name`` as the server spells it: settings write folders with "/",
    servers separate them with their own character (Dovecot's Maildir: ".")."""
    typ, data = conn.list('""', '""')
    delimiter = "/"
    if typ == "OK" and data and isinstance(data[0], bytes):
        match = _LIST_DELIMITER.match(data[0])
        if match and match.group(1):
            delimiter = match.group(1).decode().replace("\\", "") or "/"
    return _quote(_utf7(name.replace("/", delimiter)))


def _ensure_folder(conn: imaplib.IMAP4, mailbox: str) -> None:
    typ, data = conn.list('""', mailbox)
    if typ == "OK" and any(isinstance(line, bytes) and line for line in data):
        return
    typ, data = conn.create(mailbox)
    if typ != "OK":
        raise ImapError(f"Cannot create the folder {mailbox}: {data!r}")
    conn.subscribe(mailbox)


def _capabilities(conn: imaplib.IMAP4) -> set[str]:
    # Servers announce more after login (MOVE, UIDPLUS) than before it.
    typ, data = conn.capability()
    if typ == "OK" and data and data[0]:
        return {c.upper() for c in data[0].decode("ascii", "replace").split()}
    return set(conn.capabilities)


def _fetch(conn: imaplib.IMAP4, uid: bytes) -> bytes:
    # PEEK: reading does not mark it seen; the move does, once it is stored.
    typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        raise ImapError(f"Cannot fetch message {uid!r}: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    raise ImapError(f"Message {uid!r} came back empty.")


def _move(conn: imaplib.IMAP4, uid: bytes, done: str, capabilities: set[str]) -> None:
    conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if "MOVE" in capabilities:
        typ, data = conn.uid("MOVE", uid, done)
        if typ != "OK":
            raise ImapError(f"Cannot move message {uid!r}: {data!r}")
        return
    # Without MOVE (RFC 6851): copy, then remove the original only once the
    # copy is safe in the done folder.
    typ, data = conn.uid("COPY", uid, done)
    if typ != "OK":
        raise ImapError(f"Cannot copy message {uid!r}: {data!r}")
    conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    if "UIDPLUS" in capabilities:
        conn.uid("EXPUNGE", uid)
    else:
        conn.expunge()


def imap_poll() -> dict:
    """Read every message in INTAKE_IMAP_FOLDER once. Returns how many ended
    in each outcome, how many failed (not stored, left in place for the next
    run) and how many were stored but could not be moved."""
    counts = {outcome: 0 for outcome in InboundMail.Outcome.values}
    counts["failed"] = counts["not_moved"] = 0
    if not settings.INTAKE_IMAP_HOST:
        return counts
    conn = _connect()
    try:
        capabilities = _capabilities(conn)
        done = _mailbox(conn, settings.INTAKE_IMAP_DONE_FOLDER)
        _ensure_folder(conn, done)
        typ, data = conn.select(_mailbox(conn, settings.INTAKE_IMAP_FOLDER))
        if typ != "OK":
            raise ImapError(f"Cannot open {settings.INTAKE_IMAP_FOLDER}: {data!r}")
        typ, data = conn.uid("SEARCH", None, "ALL")
        if typ != "OK":
            raise ImapError(f"Cannot list {settings.INTAKE_IMAP_FOLDER}: {data!r}")
        for uid in data[0].split() if data and data[0] else []:
            # A lost connection ends the run (IMAP4.abort, OSError); what is
            # left waits in the mailbox for the next one.
            try:
                raw = _fetch(conn, uid)
            except ImapError:
                # Gone meanwhile (an overlapping run moved it): nothing to do.
                logger.warning("IMAP intake: message %s could not be fetched", uid)
                counts["failed"] += 1
                continue
            try:
                result = mail_intake(raw, source=InboundMail.Source.IMAP)
            except Exception:  # noqa: BLE001 - one bad message never stops the rest
                logger.exception("IMAP intake: message %s not stored, left in the mailbox", uid)
                counts["failed"] += 1
                continue
            counts[result.outcome] += 1
            logger.info("IMAP intake: %s", result.line)
            try:
                _move(conn, uid, done, capabilities)
            except ImapError:
                # Stored, but still in the mailbox: the next run sees a duplicate
                # and moves it then.
                logger.exception("IMAP intake: message %s stored but not moved", uid)
                counts["not_moved"] += 1
    finally:
        _logout(conn)
    return counts
