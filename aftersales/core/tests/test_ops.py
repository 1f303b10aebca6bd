"""What an operator relies on: the health check, request ids and log lines,
the ``aftersales`` command, and ``serve`` starting and stopping cleanly."""

import contextlib
import http.client
import json
import logging
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from aftersales.core.logging import JsonFormatter
from aftersales.core.tests.conftest import AFTERSALES, REPO_DIR, clean_env

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


# --- /healthz -----------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_is_200_when_database_and_queue_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    # A cached "ok" would hide an outage from the load balancer.
    assert "no-cache" in response["Cache-Control"]


HEALTHZ_IN_A_FRESH_PROCESS = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(json.dumps({"http_status": response.status_code, **response.json()}))
"""


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("postgres://postgres@127.0.0.1:1/x", id="postgresql-port-closed"),
        pytest.param("sqlite:////nonexistent-directory/db.sqlite3", id="sqlite-file-unreachable"),
    ],
)
def test_healthz_is_503_when_the_database_is_unreachable(run_python, database_url):
    # A real unreachable database in a fresh process, not a mocked connection:
    # the test's own database stays up for the rest of the suite.
    result = run_python(HEALTHZ_IN_A_FRESH_PROCESS, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["http_status"] == 503
    assert answer["status"] == "error"
    assert answer["checks"]["database"].startswith("error: ")
    assert answer["checks"]["queue"] == "ok"


# --- request ids and the request log ------------------------------------------


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9c_21-00"})
    assert response["X-Request-ID"] == "lb-7f3a.9c_21-00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    [
        pytest.param("", id="empty"),
        pytest.param("short", id="too-short"),
        pytest.param("a" * 65, id="too-long"),
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("<script>alert(1)</script>", id="markup"),
        pytest.param("abcdefgh\r\nSet-Cookie: sessionid=x", id="header-injection"),
    ],
)
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert GENERATED_ID.match(response["X-Request-ID"])


@pytest.mark.django_db
def test_every_response_gets_its_own_request_id(client):
    ids = {
        client.get(path)["X-Request-ID"]
        for path in ("/healthz", "/healthz", "/login/", "/no-such-page/")
    }
    assert len(ids) == 4
    assert all(GENERATED_ID.match(i) for i in ids)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"), [("/healthz", 200), ("/no-such-page/", 404), ("/", 302)]
)
def test_each_request_writes_one_json_log_line(client, caplog, path, status):
    with caplog.at_level(logging.INFO, logger="aftersales.request"):
        response = client.get(path, {"q": "不记录"})
    records = [r for r in caplog.records if r.name == "aftersales.request"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["method"] == "GET"
    assert entry["path"] == path  # the query string stays out of the log
    assert entry["status"] == status == response.status_code
    assert isinstance(entry["duration_ms"], int | float) and entry["duration_ms"] >= 0
    assert entry["level"] == "INFO" and entry["time"]


# --- the aftersales command ---------------------------------------------------


def test_aftersales_help_lists_the_project_commands(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    commands = set(re.findall(r"^ {4}(\w+)$", result.stdout, flags=re.MULTILINE))
    assert {"serve", "worker", "seed", "migrate"} <= commands


@pytest.mark.parametrize(
    ("command", "options"),
    [("serve", {"--bind", "--prod", "--workers"}), ("worker", {"--workers"})],
)
def test_each_command_has_help(run_cli, command, options):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: aftersales {command}")
    assert all(option in result.stdout for option in options)


# --- serve, end to end --------------------------------------------------------


def _session_processes(session_id: int) -> dict[int, str]:
    """Live processes of a session (zombies left out), pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            after_name = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # ended while being read
            continue
        state, session = after_name[0], int(after_name[3])
        if session == session_id and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def _get(port: int, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _wait_until(predicate, *, seconds: float, what: str, server: subprocess.Popen, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode} before {what}:\n{log.read_text()}")
        try:
            if predicate():
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.25)
    pytest.fail(f"no {what} within {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def migrated_var_dir(tmp_path_factory):
    """A var/ directory with a migrated database, shared by the serve tests."""
    path = tmp_path_factory.mktemp("serve-var")
    migrate = subprocess.run(
        [str(AFTERSALES), "migrate", "--no-input", "-v", "0"],
        env=clean_env(path),
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    return path


PRODUCTION = {
    "AFTERSALES_ENV": "production",
    "SECRET_KEY": "x7Kq2-vR9mZt4LpW8nYc3HsB6jDf1GaE5uQo0iXkTzNbVw_yRe",
    "ALLOWED_HOSTS": "127.0.0.1",
}


@pytest.mark.parametrize(
    ("args", "env", "web_marker", "web_count"),
    [
        pytest.param([], {}, "runserver", 1, id="development-server"),
        # gunicorn: a master and its two workers.
        pytest.param(["--prod", "--workers", "2"], PRODUCTION, "gunicorn", 3, id="gunicorn"),
    ],
)
def test_serve_runs_web_and_worker_until_ctrl_c_stops_both(
    migrated_var_dir, tmp_path, free_port, args, env, web_marker, web_count
):
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        # A session of its own, like a terminal: Ctrl-C goes to its process group.
        server = subprocess.Popen(
            [str(AFTERSALES), "serve", "--bind", f"127.0.0.1:{free_port}", *args],
            env=clean_env(migrated_var_dir, **env),
            cwd=REPO_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until(
            lambda: _get(free_port, "/healthz").status == 200,
            seconds=120,
            what="healthy /healthz",
            server=server,
            log=log,
        )
        _wait_until(
            lambda: "consumer started" in log.read_text(),
            seconds=60,
            what="worker",
            server=server,
            log=log,
        )
        running = _session_processes(server.pid).values()
        assert sum(web_marker in cmd for cmd in running) == web_count, running
        assert sum(cmd.endswith("aftersales.cli worker") for cmd in running) == 1, running
        if env:
            # Production settings are in force: everything but the probe goes to HTTPS.
            assert _get(free_port, "/login/").status == 301

        os.killpg(server.pid, signal.SIGINT)
        deadline = time.monotonic() + 20
        assert server.wait(timeout=20) == 0, log.read_text()
        while _session_processes(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session_processes(server.pid) == {}
    finally:
        for pid in _session_processes(server.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=5)

    output = log.read_text()
    assert "Traceback" not in output
    assert re.search(r"Stopped \(web (0|-15), worker 0\)", output), output
    requests = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith('{"') and '"aftersales.request"' in line
    ]
    assert any(
        r["path"] == "/healthz" and r["status"] == 200 and GENERATED_ID.match(r["request_id"])
        for r in requests
    )


def test_serve_stops_the_worker_and_fails_when_the_web_server_cannot_start(
    migrated_var_dir, tmp_path
):
    # A web server that dies (here: its port is taken) must not leave a worker
    # running on its own, and the exit status must say something went wrong.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                [str(AFTERSALES), "serve", "--bind", f"127.0.0.1:{port}"],
                env=clean_env(migrated_var_dir),
                cwd=REPO_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            returncode = server.wait(timeout=120)
            left_running = _session_processes(server.pid)
        finally:
            for pid in _session_processes(server.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            server.wait(timeout=5)
    assert returncode != 0
    assert left_running == {}
    assert "web stopped by itself" in log.read_text()
