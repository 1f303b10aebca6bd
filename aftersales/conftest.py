"""Shared test set-up: personas (STYLE rule 8), the database switch, and the
rule that a skip under CI is a failure."""

import email
import email.policy
import logging
import os
import socket
import threading
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.test.utils import override_settings

from aftersales.core.roles import Role


def pytest_collection_modifyitems(config, items):
    # The PostgreSQL pass (DATABASE_URL=postgres...) may leave out tests whose
    # behaviour cannot differ by database, and each pass leaves out tests that
    # mean something on the other database only.
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    skip_dbless = os.environ.get("AFTERSALES_SKIP_DB_INDEPENDENT") == "1"
    deselected, kept = [], []
    for item in items:
        marks = {m.name for m in item.iter_markers()}
        if (
            (on_postgres and "sqlite_only" in marks)
            or (not on_postgres and "postgresql_only" in marks)
            or skip_dbless
            and marks & {"browser", "pdf", "mail_parsing"}
        ):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Under CI a skipped test is a failure: nothing may quietly go untested.
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


@pytest.fixture
def department(db):
    from aftersales.accounts.models import Department

    return Department.objects.get_or_create(
        code="aftersales",
        defaults={"name": "售后服务部", "name_en": "After-sales service", "is_aftersales": True},
    )[0]


@pytest.fixture
def make_staff(db, department):
    """make_staff("worker", Role.SERVICE_WORKER, ...) -> a user with a profile and roles."""
    from aftersales.accounts.services import staff_create

    counter = {"n": 0}

    def make(username: str, *roles: str, language: str = "zh-hans", dept=None, **extra):
        counter["n"] += 1
        return staff_create(
            by=None,
            username=username,
            password="correct horse battery staple",
            employee_no=extra.pop("employee_no", f"E{counter['n']:04d}-{username}"),
            display_name=extra.pop("display_name", username.title()),
            department=dept or department,
            hire_date=extra.pop("hire_date", date(2024, 1, 1)),
            language=language,
            roles=list(roles),
            **extra,
        )

    return make


@pytest.fixture
def worker(make_staff):
    return make_staff("worker", Role.SERVICE_WORKER)


@pytest.fixture
def quality_specialist(make_staff):
    return make_staff("quality", Role.QUALITY_SPECIALIST)


@pytest.fixture
def cs_manager(make_staff):
    return make_staff("csmanager", Role.CS_MANAGER)


@pytest.fixture
def aftersales_manager(make_staff):
    return make_staff("asmanager", Role.AFTERSALES_MANAGER, Role.DEPARTMENT_MANAGER)


@pytest.fixture
def general_manager(make_staff):
    return make_staff("gm", Role.GENERAL_MANAGER, Role.COMMITTEE_MEMBER)


@pytest.fixture
def administrator(make_staff):
    return make_staff("admin", Role.ADMINISTRATOR)


@pytest.fixture
def outsider(make_staff):
    """Signed in, but holds no role."""
    return make_staff("outsider")


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client signed in as user."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user, backend="aftersales.accounts.backends.RoleBackend")
        return c

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher costs about a second per persona on a small machine;
    # tests check who may sign in, not how strong the hash is.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Browser tests (Playwright driving Debian's Chromium) -------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # Chromium will not start as root with its sandbox on.
    "--no-sandbox",
    "--disable-gpu",
    # Nothing may reach the internet: no updates, no sync, no QUIC probing.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing: apt-get install chromium (or run `make sysdeps` as root)"
        )
    # Sync Playwright runs an event loop in this thread, and Django refuses
    # database calls beside a running loop; the test and live_server's thread
    # touch the database one at a time, so the check can be relaxed. The loop
    # lives as long as the session's browser, hence no restoring afterwards.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def _media_url_while_live_server_starts():
    # Uploads have no public URL (MEDIA_URL = None, so a stray `file.url` fails
    # loudly), but Django's live server builds a media handler from MEDIA_URL
    # and with None every request fails ("startswith first arg must be str").
    # The handler is built once, as the server starts; after that the real
    # setting is back.
    override = override_settings(MEDIA_URL="/uploads-are-not-public/")
    override.enable()
    try:
        yield override
    finally:
        if settings.MEDIA_URL == "/uploads-are-not-public/":
            override.disable()


@pytest.fixture(scope="session")
def live_server(_media_url_while_live_server_starts, live_server):
    if settings.MEDIA_URL == "/uploads-are-not-public/":
        _media_url_while_live_server_starts.disable()
    return live_server


# --- a real SMTP server on loopback (aiosmtpd), shared by every app's tests ---


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


@pytest.fixture
def huey_immediate():
    """Tasks queued by on-commit callbacks run at once, in memory, instead of
    landing in the development queue file."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = was
