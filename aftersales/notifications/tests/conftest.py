"""A real SMTP server on loopback (aiosmtpd), and the outbox's test set-up."""

import email
import email.policy
import logging
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    """What the test SMTP server received. ``refuse`` holds replies to give,
    in order, to the next DATA commands (e.g. "451 4.3.0 Try again later");
    after that every message is accepted."""

    def __init__(self):
        self.seen = []  # every DATA, refused or not: (envelope recipients, parsed message, reply)
        self.refuse: list[str] = []
        self.refuse_rcpt: list[str] = []
        self.lock = threading.Lock()

    @property
    def accepted(self):
        return [msg for _rcpt, msg, reply in self.seen if reply.startswith("250")]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            reply = self.refuse_rcpt.pop(0) if self.refuse_rcpt else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self.lock:
            reply = (
                self.refuse.pop(0)
                if self.refuse
                else f"250 2.0.0 Ok: queued as T{len(self.seen) + 1}"
            )
            self.seen.append((list(envelope.rcpt_tos), msg, reply))
        return reply


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server on 127.0.0.1; settings point at it."""
    # aiosmtpd logs every SMTP command at INFO; keep failures readable.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "售后服务部 <aftersales@example.test>"
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def no_smtp_server(settings):
    """Settings pointing at a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_TIMEOUT = 5
    return settings.EMAIL_PORT


@pytest.fixture(autouse=True)
def outbox_settings(settings):
    settings.MAIL_DOMAIN = "mail.example.test"
    settings.OUTBOX_MAX_ATTEMPTS = 6
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 60
    settings.OUTBOX_BACKOFF_FACTOR = 5
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 6 * 3600
    settings.OUTBOX_STUCK_SECONDS = 300
    settings.OUTBOX_SWEEP_BATCH = 50
    settings.COMPANY_NAME = ""


@pytest.fixture(autouse=True)
def huey_runs_in_process():
    """Tasks queued by on-commit callbacks run at once, in memory, instead of
    landing in the development queue file."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = was


@pytest.fixture
def make_customer(db):
    from aftersales.customers.services import customer_create

    counter = {"n": 0}

    def make(name="张三", *, email="", phone="", postal_address="", language="zh-hans"):
        counter["n"] += 1
        return customer_create(
            name=name,
            email=email,
            phone=phone,
            postal_address=postal_address,
            preferred_language=language,
        )

    return make


@pytest.fixture
def chinese_customer(make_customer):
    return make_customer("张三", email="zhangsan@example.com", language="zh-hans")


@pytest.fixture
def english_customer(make_customer):
    return make_customer("Jane Smith", email="jane@example.com", language="en")
