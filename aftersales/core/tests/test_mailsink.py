"""`make run` sends real SMTP to a local sink that keeps each message as a file."""

import os
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mailsink_keeps_chinese_mail_as_a_file(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "AFTERSALES_VAR_DIR": str(tmp_path),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
    }
    env.pop("AFTERSALES_ENV", None)
    sink = subprocess.Popen([sys.executable, "-m", "aftersales.cli", "mailsink"], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "mailsink did not start listening"
                time.sleep(0.1)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "a@example.test",
            "b@example.test",
            "受理通知",
        )
        message.set_content("您的提案已受理。")
        with smtp:
            smtp.send_message(message)
        files = list((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 1
        from email import message_from_bytes, policy

        kept = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert kept["Subject"] == "受理通知"
        assert "您的提案已受理。" in kept.get_content()
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def test_mailsink_refuses_to_run_in_production(tmp_path):
    env = {
        **os.environ,
        "AFTERSALES_VAR_DIR": str(tmp_path),
        "AFTERSALES_ENV": "production",
        "SECRET_KEY": "x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
        "ALLOWED_HOSTS": "example.com",
    }
    out = subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "mailsink"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "mailsink is for development" in out.stderr
