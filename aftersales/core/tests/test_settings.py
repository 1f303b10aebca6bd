"""One settings module, read from the environment, loud on bad values (STYLE
rule 9). Start-up is run in a subprocess with a controlled environment: the
settings are read once per process, so only a new process shows what an
operator sees."""

import secrets
import stat

import pytest
from django.db import connection

from aftersales.core.tests.conftest import CONFIG_VARS

# 86 random URL-safe characters: what an operator would generate.
GOOD_KEY = secrets.token_urlsafe(64)
PRODUCTION = {
    "AFTERSALES_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "example.com",
}
EX_CONFIG = 78


def test_settings_variables_are_found_for_the_clean_environment():
    # The subprocess tests below start without these; if the pattern stopped
    # matching, they would quietly inherit the developer's own settings.
    assert {
        "DATABASE_URL",
        "SECRET_KEY",
        "DEBUG",
        "TIME_ZONE",
        "SMTP_PORT",
        "ALLOWED_HOSTS",
    } <= CONFIG_VARS


def test_start_up_with_no_settings_at_all_works(run_cli):
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        pytest.param(
            {"DATABASE_URL": "nonsense://x"}, "DATABASE_URL", id="unknown-database-scheme"
        ),
        pytest.param(
            {"DATABASE_URL": "mysql://u@localhost/db"}, "DATABASE_URL", id="unsupported-database"
        ),
        pytest.param({"TIME_ZONE": "Mars/Base"}, "TIME_ZONE", id="unknown-time-zone"),
        pytest.param({"SMTP_PORT": "abc"}, "SMTP_PORT", id="port-not-a-number"),
        pytest.param({"SMTP_PORT": "70000"}, "SMTP_PORT", id="port-out-of-range"),
        pytest.param({"DEBUG": "maybe"}, "DEBUG", id="debug-not-a-boolean"),
        pytest.param({"AFTERSALES_ENV": "staging"}, "AFTERSALES_ENV", id="unknown-environment"),
        pytest.param(
            {**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY", id="production-without-secret-key"
        ),
        pytest.param(
            {**PRODUCTION, "SECRET_KEY": "too-short"},
            "SECRET_KEY",
            id="production-short-secret-key",
        ),
        pytest.param(
            {**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS", id="production-without-hosts"
        ),
        pytest.param({**PRODUCTION, "DEBUG": "1"}, "DEBUG", id="production-with-debug"),
        pytest.param(
            {"SMTP_STARTTLS": "1", "SMTP_SSL": "1"}, "SMTP_STARTTLS", id="starttls-and-ssl"
        ),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(run_cli, env, named):
    result = run_cli("check", **env)
    assert result.returncode == EX_CONFIG, result.stdout + result.stderr
    assert "configuration error:" in result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    if env.get("SECRET_KEY") and len(env["SECRET_KEY"]) >= 50:
        assert env["SECRET_KEY"] not in result.stderr


def test_both_smtp_encryptions_on_names_both_variables(run_cli):
    result = run_cli("check", SMTP_STARTTLS="1", SMTP_SSL="true")
    assert result.returncode == EX_CONFIG
    assert "SMTP_STARTTLS" in result.stderr and "SMTP_SSL" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["help"], ["serve", "--help"], ["migrate"]])
def test_a_bad_setting_stops_every_command_even_help(run_cli, args):
    # Django's own runner would list only its built-in commands and exit 0.
    result = run_cli(*args, DEBUG="maybe")
    assert result.returncode == EX_CONFIG, result.stdout + result.stderr
    assert "configuration error:" in result.stderr and "DEBUG" in result.stderr


def test_a_bad_setting_stops_a_plain_django_set_up_too(run_python):
    # gunicorn imports the WSGI module without our CLI in between.
    result = run_python("import aftersales.config.wsgi", TIME_ZONE="Mars/Base")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "TIME_ZONE" in result.stderr


def test_production_settings_pass_the_deploy_check(run_cli):
    result = run_cli("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_is_https_only_with_hsts(run_python):
    result = run_python(
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.DEBUG)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "False"]


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout():
    # WAL lets pages be read while the worker writes; the busy timeout makes a
    # second writer wait for the lock instead of failing with "database is locked".
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def test_a_local_secret_key_is_generated_once_and_kept(run_python, var_dir):
    show_key = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_python(show_key)
    second = run_python(show_key)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert second.stdout.strip() == key, "a new key each start would sign everyone out"
    key_file = var_dir / "secret_key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_each_installation_gets_its_own_secret_key(run_python, tmp_path):
    show_key = "from django.conf import settings; print(settings.SECRET_KEY)"
    other = tmp_path / "other-var"
    mine = run_python(show_key)
    theirs = run_python(show_key, AFTERSALES_VAR_DIR=str(other))
    assert mine.returncode == 0 and theirs.returncode == 0
    assert mine.stdout.strip() != theirs.stdout.strip()
