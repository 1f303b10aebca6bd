"""Fixtures for the core tests: a Chromium for browser tests, and a clean
environment for running the ``aftersales`` command in a subprocess."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test.utils import override_settings

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

REPO_DIR = Path(settings.BASE_DIR)
AFTERSALES = Path(sys.executable).with_name("aftersales")

# Every variable settings.py reads, found in its source, so a variable added
# there later is left out of a subprocess's environment without anyone
# remembering to list it here.
_SETTINGS_SOURCE = (Path(settings.PACKAGE_DIR) / "config" / "settings.py").read_text()
CONFIG_VARS = frozenset(
    re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', _SETTINGS_SOURCE)
)


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


def clean_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a fresh shell on a laptop: none of the settings this
    project reads, its own var/ directory, then ``overrides``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in CONFIG_VARS and not key.startswith(("AFTERSALES_", "DJANGO_"))
    }
    env.update(
        AFTERSALES_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="aftersales.config.settings",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@pytest.fixture
def var_dir(tmp_path):
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def run_cli(var_dir):
    """run_cli("check", DEBUG="maybe") -> the finished ``aftersales check``."""

    def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(AFTERSALES), *args],
            env=clean_env(var_dir, **env),
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def run_python(var_dir):
    """run_python(code, DEBUG="maybe") -> ``python -c code`` in a clean environment."""

    def run(code: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code],
            env=clean_env(var_dir, **env),
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
