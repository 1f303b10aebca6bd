"""The background worker consumes tasks from the queue it is configured with:
a SQLite file by default, Redis when REDIS_URL is set."""

import os
import subprocess
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _run_worker_round_trip(tmp_path, extra_env: dict) -> str:
    env = {
        **os.environ,
        "AFTERSALES_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **extra_env,
    }
    cli = [sys.executable, "-m", "aftersales.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT, capture_output=True)
    worker = subprocess.Popen(
        [*cli, "worker"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    token = uuid.uuid4().hex
    try:
        script = (
            "import django, sys; django.setup();"
            "from aftersales.core.tasks import worker_ping;"
            f"r = worker_ping('{token}');"
            "print(r.get(blocking=True, timeout=30))"
        )
        env_client = {**env, "DJANGO_SETTINGS_MODULE": "aftersales.config.settings"}
        out = subprocess.run(
            [sys.executable, "-c", script],
            env=env_client,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip().splitlines()[-1], token
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_worker_consumes_tasks_from_the_sqlite_queue(tmp_path):
    answer, token = _run_worker_round_trip(tmp_path, {"REDIS_URL": ""})
    assert answer == f"pong:{token}"
    assert (tmp_path / "huey.sqlite3").exists()


def test_worker_consumes_tasks_from_redis(tmp_path):
    name = f"aftersales-test-{uuid.uuid4().hex[:8]}"
    answer, token = _run_worker_round_trip(
        tmp_path, {"REDIS_URL": "redis://127.0.0.1:6379/15", "HUEY_NAME": name}
    )
    assert answer == f"pong:{token}"
    assert not (tmp_path / "huey.sqlite3").exists()
