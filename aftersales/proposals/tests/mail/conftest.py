"""Mail intake test set-up: uploads in a temporary folder, and a real IMAP
server (Debian's Dovecot) started on loopback from a throwaway config, as
platform-notes.md describes."""

import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
# Dovecot's mail processes run as this unprivileged user (nobody).
MAIL_UID = 65534


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Dovecot:
    port: int
    user: str
    password: str
    folder: Path
    cert: Path | None = None
    tls_port: int = 0

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        if self.cert:
            conn.starttls(ssl_context=ssl.create_default_context(cafile=str(self.cert)))
        conn.login(self.user, self.password)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def count(self, folder: str) -> int:
        conn = self.client()
        try:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            assert typ == "OK", data
            return int(data[0])
        finally:
            conn.logout()

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _start_dovecot(*, tls: bool):
    if not os.path.exists(DOVECOT):
        pytest.fail(f"{DOVECOT} is missing: apt-get install dovecot-imapd (make sysdeps)")
    # Not pytest's tmp_path: that is private to root (0700), and Dovecot
    # reads and writes the mail as nobody.
    folder = Path(tempfile.mkdtemp(prefix="dovecot-"))
    folder.chmod(0o755)
    (folder / "mail").mkdir()
    os.chown(folder / "mail", MAIL_UID, MAIL_UID)
    (folder / "passwd").write_text("intake@example.test:{PLAIN}secret\n")
    port = _free_port()
    # Implicit TLS (IMAPS) listens only when TLS is on.
    tls_port = _free_port() if tls else 0
    cert = key = None
    if tls:
        cert, key = _self_signed(folder)
        ssl_lines = f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}\n"
    else:
        ssl_lines = "ssl = no\n"
    (folder / "dovecot.conf").write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
{ssl_lines}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_UID} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Dovecot(port, "intake@example.test", "secret", folder, cert, tls_port)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                error = process.stderr.read().decode(errors="replace")
                shutil.rmtree(folder, ignore_errors=True)
                pytest.fail(f"Dovecot did not start: {error}")
            time.sleep(0.05)
    return process, server


def _stop_dovecot(process, server):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stderr.close()
    shutil.rmtree(server.folder, ignore_errors=True)


def _point_settings_at(settings, server: Dovecot, security: str) -> None:
    settings.INTAKE_IMAP_HOST = "127.0.0.1"
    settings.INTAKE_IMAP_PORT = server.port
    settings.INTAKE_IMAP_SECURITY = security
    settings.INTAKE_IMAP_USER = server.user
    settings.INTAKE_IMAP_PASSWORD = server.password
    settings.INTAKE_IMAP_FOLDER = "INBOX"
    settings.INTAKE_IMAP_DONE_FOLDER = "Aftersales/Processed"


@pytest.fixture
def dovecot(settings):
    """A running Dovecot on 127.0.0.1 with one empty mailbox, plain IMAP;
    the INTAKE_IMAP_* settings point at it."""
    process, server = _start_dovecot(tls=False)
    _point_settings_at(settings, server, "plain")
    try:
        yield server
    finally:
        _stop_dovecot(process, server)


@pytest.fixture
def dovecot_tls(settings, monkeypatch):
    """The same with STARTTLS required, its self-signed certificate trusted
    through SSL_CERT_FILE (read by ssl.create_default_context)."""
    process, server = _start_dovecot(tls=True)
    _point_settings_at(settings, server, "starttls")
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    try:
        yield server
    finally:
        _stop_dovecot(process, server)
