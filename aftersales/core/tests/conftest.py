"""Fixtures for the core tests: a clean environment for running the
``aftersales`` command in a subprocess."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO_DIR = Path(settings.BASE_DIR)
AFTERSALES = Path(sys.executable).with_name("aftersales")

# Every variable settings.py reads, found in its source, so a variable added
# there later is left out of a subprocess's environment without anyone
# remembering to list it here.
_SETTINGS_SOURCE = (Path(settings.PACKAGE_DIR) / "config" / "settings.py").read_text()
CONFIG_VARS = frozenset(
    re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', _SETTINGS_SOURCE)
)


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


def _run(argv: list[str], var_dir: Path, timeout: float, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        env=clean_env(var_dir, **env),
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def run_cli(var_dir):
    """run_cli("check", DEBUG="maybe") -> the finished ``aftersales check``."""

    def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        return _run([str(AFTERSALES), *args], var_dir, timeout, env)

    return run


@pytest.fixture
def run_python(var_dir):
    """run_python(code, DEBUG="maybe") -> ``python -c code`` in a clean environment."""

    def run(code: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        return _run([sys.executable, "-c", code], var_dir, timeout, env)

    return run


@pytest.fixture
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
