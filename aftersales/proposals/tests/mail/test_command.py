"""P4: `aftersales intake-email < message.eml`, for a mail server's pipe: one
line starting with the outcome; exit 0 when the mail was stored or skipped on
purpose, 75 (temporary failure) only when nothing could be stored."""

import io
import socket
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from aftersales.core.tests.conftest import AFTERSALES, REPO_DIR, clean_env
from aftersales.proposals.models import InboundMail, Proposal
from aftersales.proposals.tests.mail import samples


def run(raw: bytes) -> str:
    out = io.StringIO()
    call_command("intake_email", stdin=io.TextIOWrapper(io.BytesIO(raw)), stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_p4_the_command_prints_one_line_starting_with_the_outcome():
    raw = samples.gbk_mail()
    created = run(raw)
    proposal = Proposal.objects.get()
    inbound = InboundMail.objects.get()
    assert created == f"created {proposal.reference} mail#{inbound.pk}"
    assert inbound.source == InboundMail.Source.PIPE
    assert run(raw) == f"duplicate {proposal.reference} mail#{inbound.pk} {inbound.message_id}"
    assert run(samples.auto_reply_mail()).startswith("ignored mail#")
    assert run(samples.malformed_mail()).startswith("quarantined mail#")
    reply = samples.reply_mail(sender="zhangsan@example.cn", subject=f"Re: {proposal.reference}")
    assert run(reply).startswith(f"attached {proposal.reference} mail#")


@pytest.mark.django_db
def test_p4_the_command_reads_a_file_too(tmp_path):
    path = tmp_path / "message.eml"
    path.write_bytes(samples.big5_mail())
    out = io.StringIO()
    call_command("intake_email", file=str(path), stdout=out)
    assert out.getvalue().startswith("created P-")


def test_p4_the_command_refuses_empty_input():
    with pytest.raises(CommandError):
        run(b"  \n")


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def pipe(raw: bytes, tmp_path, database_url: str) -> subprocess.CompletedProcess:
    """The command as a mail server runs it: a new process, mail on stdin."""
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    return subprocess.run(
        [str(AFTERSALES), "intake-email"],
        input=raw,
        env=clean_env(var, DATABASE_URL=database_url, MEDIA_ROOT=str(tmp_path / "media")),
        cwd=REPO_DIR,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_p4_piped_mail_is_stored_and_the_command_exits_0(tmp_path):
    raw = samples.attachment_mail()
    first = pipe(raw, tmp_path, _database_url())
    assert first.returncode == 0, first.stderr.decode()
    proposal = Proposal.objects.get()
    assert first.stdout.decode().strip().startswith(f"created {proposal.reference} mail#")
    assert proposal.attachments.count() == 2
    assert (tmp_path / "media" / InboundMail.objects.get().raw.name).read_bytes() == raw

    quarantined = pipe(samples.malformed_mail(), tmp_path, _database_url())
    assert quarantined.returncode == 0
    assert quarantined.stdout.decode().startswith("quarantined mail#")


def test_p4_the_command_exits_75_when_nothing_could_be_stored(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there: the database is unavailable.
    result = pipe(samples.gbk_mail(), tmp_path, f"postgres://postgres@127.0.0.1:{port}/intake")
    assert result.returncode == 75, result.stderr.decode()
    assert result.stdout == b""
    assert b"temporary failure, nothing stored" in result.stderr
