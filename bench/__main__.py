"""``python -m bench`` (``make bench``): benchmark the production server on
SQLite and PostgreSQL. Settings come from the environment or the flags below;
see docs/performance.md.

    BENCH_DB=sqlite|postgresql|both   databases, one after the other (default both)
    BENCH_SCALE=100000                customers (and proposals) seeded; 1000000 took about an hour
                                      per database on a busy machine (docs/performance.md)
    BENCH_RESEED=1                    reseed even when the recorded seeding matches
    BENCH_DURATION=10 BENCH_WARMUP=2  seconds timed / untimed per scenario and concurrency
    BENCH_CONCURRENCY=1,8             connections driving load at once
    BENCH_WORKERS=5                   gunicorn workers (default 2 x cores + 1, as `serve`)
    BENCH_SCENARIOS=baseline,my_work  a subset (default all registered)
    BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench
    BENCH_WAIT_QUIET=120              wait up to this long for idle cores before timing
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench.scenarios import BASELINE, all_scenarios

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
RESULTS = Path(__file__).resolve().parent / "results"
SQLITE_FILE = BENCH_VAR / "aftersales-bench.sqlite3"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench"


class HarnessError(Exception):
    pass


def parse_args(argv=None):
    env = os.environ.get
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", default=env("BENCH_DB", "both"), help="sqlite, postgresql or both")
    p.add_argument("--scale", type=int, default=int(env("BENCH_SCALE", "100000")))
    p.add_argument(
        "--reseed", action="store_true", default=env("BENCH_RESEED", "") in ("1", "true", "yes")
    )
    p.add_argument("--duration", type=float, default=float(env("BENCH_DURATION", "10")))
    p.add_argument("--warmup", type=float, default=float(env("BENCH_WARMUP", "2")))
    p.add_argument("--concurrency", default=env("BENCH_CONCURRENCY", "1,8"))
    p.add_argument("--workers", type=int, default=int(env("BENCH_WORKERS", str(2 * cores + 1))))
    p.add_argument("--scenarios", default=env("BENCH_SCENARIOS", ""))
    p.add_argument("--seed-random", type=int, default=int(env("BENCH_SEED", "42")))
    p.add_argument("--pg-url", default=env("BENCH_PG_URL", DEFAULT_PG_URL))
    p.add_argument("--wait-quiet", type=float, default=float(env("BENCH_WAIT_QUIET", "120")))
    p.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = p.parse_args(argv)
    args.collected = False
    args.dbs = (
        ["sqlite", "postgresql"] if args.db == "both" else [d.strip() for d in args.db.split(",")]
    )
    if not set(args.dbs) <= {"sqlite", "postgresql"}:
        p.error("--db / BENCH_DB: sqlite, postgresql or both")
    args.concurrency = [int(c) for c in str(args.concurrency).split(",")]
    known = all_scenarios()
    args.scenario_names = [s.strip() for s in args.scenarios.split(",") if s.strip()] or list(known)
    unknown = set(args.scenario_names) - set(known)
    if unknown:
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    if BASELINE not in args.scenario_names:
        args.scenario_names.insert(0, BASELINE)  # every ratio needs it
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    run = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(args),
        "settings": {
            "scale": args.scale,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "seed_random": args.seed_random,
        },
        "databases": {},
    }
    run["code"] = {"git_head": git_head(), "start": code_fingerprint()}
    rows = []
    for db in args.dbs:
        say(f"== {db} ==")
        try:
            rows += bench_database(db, args, run["databases"].setdefault(db, {}))
        except HarnessError as exc:
            say(f"{db}: FAILED: {exc}")
            run["databases"][db]["error"] = str(exc)
            rows += [
                failed_row(name, db, c, args, str(exc))
                for name in args.scenario_names
                for c in args.concurrency
            ]
    run["code"]["end"] = code_fingerprint()
    if run["code"]["end"] != run["code"]["start"]:
        say("warning: the code changed during the run; rows may compare different code")
    add_ratios(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    run["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    args.output.with_name(args.output.stem + "-run.json").write_text(
        json.dumps(run, indent=2, ensure_ascii=False) + "\n"
    )
    print()
    print(table(rows))
    say(
        f"written {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}"
    )
    return 1 if any(r.get("failed") for r in rows) else 0


# ---------------------------------------------------------------- one database


def bench_database(db: str, args, record: dict) -> list[dict]:
    env = server_env(db, args)
    ensure_database(db, args, recreate=False)
    checked = django_side(env, "check", "--scale", str(args.scale), "--seed", str(args.seed_random))
    if args.reseed or not checked["match"]:
        say(
            f"seeding {args.scale:,} customers ({'BENCH_RESEED' if args.reseed else checked['reason']})"
        )
        ensure_database(db, args, recreate=True)
        run_cmd(env, "migrate", "--no-input", "-v", "0")
        started = time.monotonic()
        run_cmd(
            env,
            "seed",
            "--scale",
            str(args.scale),
            "--seed-random",
            str(args.seed_random),
            quiet=False,
        )
        record["seed_wall_seconds"] = round(time.monotonic() - started, 1)
        checked = django_side(
            env, "check", "--scale", str(args.scale), "--seed", str(args.seed_random)
        )
        if not checked["match"]:
            raise HarnessError(f"seeded, yet the record does not match: {checked['reason']}")
    else:
        say(f"reusing the seeded database ({args.scale:,} customers)")
    record["seed"] = checked["state"]
    if not args.collected:
        # Production serves hashed, compressed assets from a manifest; once a
        # run, and not at all when no asset changed since the last one (on a
        # busy machine compressing them took three minutes).
        if static_is_stale():
            run_cmd(env, "collectstatic", "--no-input", "-v", "0")
        else:
            say("static files unchanged since the last collectstatic; not collecting again")
        args.collected = True

    record["cpu_busy_before"] = wait_for_quiet(args.wait_quiet)
    record["loadavg_before"] = loadavg()
    password = secrets.token_urlsafe(18)
    ctx = django_side({**env, "BENCH_USER_PASSWORD": password}, "setup")
    port = free_port()
    server = start_server(env, port, args.workers, db)
    try:
        wait_healthy(port, server)
        ctx["session_cookie"] = sign_in(port, ctx["username"], password)
        queries = django_side(env, "queries", stdin=json.dumps(ctx))
        rows = []
        for name in args.scenario_names:
            for concurrency in args.concurrency:
                if server.poll() is not None:
                    raise HarnessError(
                        f"the server stopped (exit {server.returncode}); see {server.log_path}"
                    )
                result = drive_load(name, ctx, port, concurrency, args)
                q = queries[name]
                row = {
                    "scenario": name,
                    "db": db,
                    "rows": ctx["customers_total"],
                    "concurrency": concurrency,
                    "rps": result.get("rps"),
                    "p50_ms": result.get("p50_ms"),
                    "p99_ms": result.get("p99_ms"),
                    "queries": q["queries"],
                    "requests": result["requests"],
                    "duration_s": args.duration,
                    "workers": args.workers,
                    # Other work on the machine skews timings: say how busy it was.
                    "loadavg_after": loadavg(),
                }
                failure = result.get("failed") or (
                    f"query count run: {q['problem']}" if q["problem"] else ""
                )
                if failure:
                    row.update(
                        rps=None,
                        p50_ms=None,
                        p99_ms=None,
                        failed=failure,
                        samples=result.get("wrong_samples", []),
                    )
                rows.append(row)
                say(
                    f"  {name:<16} c={concurrency:<2} "
                    + (
                        f"FAILED: {failure}"
                        if failure
                        else f"{row['rps']:>8.1f} rps  p50 {row['p50_ms']:>7.2f} ms  p99 {row['p99_ms']:>7.2f} ms  {row['queries']} queries"
                    )
                )
        record["loadavg_after"] = loadavg()
        return rows
    finally:
        stop_server(server)


def static_is_stale() -> bool:
    """True unless var/bench/static's manifest is newer than every asset of the
    app and than the virtualenv's last install (third-party assets)."""
    manifest = BENCH_VAR / "static" / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [ROOT / ".venv" / ".installed"]
    for static_dir in (ROOT / "aftersales").rglob("static"):
        sources += [p for p in static_dir.rglob("*") if p.is_file()]
    return any(not p.exists() or p.stat().st_mtime > built for p in sources)


def server_env(db: str, args) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AFTERSALES_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        AFTERSALES_ENV="production",
        AFTERSALES_VAR_DIR=str(BENCH_VAR),
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        AFTERSALES_BENCHMARK_RELAXED="1",
        AFTERSALES_BENCHMARK_ON_LOOPBACK="1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        DEBUG="0",
        DATABASE_URL=f"sqlite:///{SQLITE_FILE}" if db == "sqlite" else args.pg_url,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def ensure_database(db: str, args, *, recreate: bool) -> None:
    if db == "sqlite":
        if recreate:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(args.pg_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise HarnessError(
            f"BENCH_PG_URL names an unusual database {name!r}; use lower-case letters, digits, _"
        )
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and recreate:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    except psycopg.OperationalError as exc:
        raise HarnessError(
            f"PostgreSQL at {parts.hostname}:{parts.port} is not reachable: {exc}"
        ) from None


# ---------------------------------------------------------------- subprocesses


def aftersales_cmd() -> list[str]:
    script = Path(sys.executable).with_name("aftersales")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aftersales.cli"]


def run_cmd(env: dict, *argv: str, quiet: bool = True) -> None:
    proc = subprocess.run(
        [*aftersales_cmd(), *argv], env=env, cwd=ROOT, text=True, capture_output=quiet, check=False
    )
    if proc.returncode:
        raise HarnessError(
            f"aftersales {' '.join(argv)} failed ({proc.returncode}): {(proc.stderr or '')[-2000:]}"
        )


def django_side(env: dict, *argv: str, stdin: str | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.django_side", *argv],
        env=env,
        cwd=ROOT,
        text=True,
        input=stdin,
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        raise HarnessError(f"bench.django_side {argv[0]} failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int, db: str) -> subprocess.Popen:
    log_path = BENCH_VAR / f"server-{db}.log"
    log = log_path.open("w")
    cmd = [
        *aftersales_cmd(),
        "serve",
        "--prod",
        "--no-worker",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    say(f"starting: {' '.join(cmd[-7:])} (log: {log_path.relative_to(ROOT)})")
    # Its own session, so it can be stopped as a group by its id if it hangs.
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log_path = log_path
    proc.log_file = log
    return proc


def wait_healthy(port: int, server, timeout: float = 240) -> None:
    # Generous: on a loaded 2-core machine five workers importing Django took
    # longer than a minute.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise HarnessError(f"the server exited ({server.returncode}); see {server.log_path}")
        try:
            status, _h, body = http_request(port, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise HarnessError(
        f"the server did not answer /healthz within {timeout:.0f} s; see {server.log_path}"
    )


def stop_server(server) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # serve stops gunicorn and waits for it
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the group this harness started
            server.wait()
    server.log_file.close()


def drive_load(name: str, ctx: dict, port: int, concurrency: int, args) -> dict:
    spec = {
        "scenario": name,
        "ctx": ctx,
        "port": port,
        "concurrency": concurrency,
        "duration": args.duration,
        "warmup": args.warmup,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(spec),
        text=True,
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=args.duration + args.warmup + 120,
    )
    if proc.returncode:
        raise HarnessError(f"the load generator failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


# ---------------------------------------------------------------- HTTP helpers


def http_request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the real login form; returns the Cookie header to send.

    In production the session and CSRF cookies are Secure: a browser would not
    send them back over plain http. The load generator sets the Cookie header
    itself, which a server cannot tell apart from HTTPS behind a proxy.
    """
    status, headers, body = http_request(port, "GET", "/login/")
    csrf_cookie = cookies_from(headers).get("csrftoken")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not csrf_cookie or not match:
        raise HarnessError(f"the login page answered {status} without a CSRF token")
    form = urlencode(
        {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": username,
            "password": password,
            "next": "/",
        }
    ).encode()
    status, headers, body = http_request(
        port,
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    session = cookies_from(headers).get("sessionid")
    if status != 302 or not session:
        raise HarnessError(
            f"signing in as {username} answered {status}, no session: {body[:300]!r}"
        )
    return f"sessionid={session}; csrftoken={csrf_cookie}"


def cookies_from(headers) -> dict:
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {k: m.value for k, m in jar.items()}


# ---------------------------------------------------------------- reporting


def failed_row(name, db, concurrency, args, reason) -> dict:
    return {
        "scenario": name,
        "db": db,
        "rows": None,
        "concurrency": concurrency,
        "rps": None,
        "p50_ms": None,
        "p99_ms": None,
        "queries": None,
        "failed": reason,
    }


def add_ratios(rows: list[dict]) -> None:
    """p50 and p99 over the baseline's, same database and concurrency, same run."""
    base = {
        (r["db"], r["concurrency"]): r
        for r in rows
        if r["scenario"] == BASELINE and r.get("p50_ms")
    }
    for r in rows:
        b = base.get((r["db"], r["concurrency"]))
        ok = b is not None and r.get("p50_ms")
        r["p50_vs_baseline"] = round(r["p50_ms"] / b["p50_ms"], 2) if ok else None
        r["p99_vs_baseline"] = round(r["p99_ms"] / b["p99_ms"], 2) if ok else None


def table(rows: list[dict]) -> str:
    head = [
        "scenario",
        "db",
        "rows",
        "conc",
        "rps",
        "p50 ms",
        "p99 ms",
        "queries",
        "p50/base",
        "p99/base",
    ]
    lines = [head]
    for r in rows:
        if r.get("failed"):
            lines.append(
                [
                    r["scenario"],
                    r["db"],
                    fmt(r["rows"]),
                    str(r["concurrency"]),
                    "FAILED",
                    "",
                    "",
                    fmt(r["queries"]),
                    "",
                    "",
                ]
            )
            continue
        lines.append(
            [
                r["scenario"],
                r["db"],
                fmt(r["rows"]),
                str(r["concurrency"]),
                f"{r['rps']:.1f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                str(r["queries"]),
                f"{r['p50_vs_baseline']:.2f}" if r["p50_vs_baseline"] else "",
                f"{r['p99_vs_baseline']:.2f}" if r["p99_vs_baseline"] else "",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append(
            "| "
            + " | ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
            + " |"
        )
        if n == 0:
            out.append(
                "|"
                + "|".join(
                    "-" * (w + 2) if i < 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)
                )
                + "|"
            )
    failures = [
        f"- {r['scenario']} / {r['db']} / c={r['concurrency']}: {r['failed']}"
        for r in rows
        if r.get("failed")
    ]
    return "\n".join(out + ([""] + failures if failures else []))


def fmt(value) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def machine_info(args) -> dict:
    info = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = re.search(r"model name\s*:\s*(.*)", cpu).group(1).strip()
        mem_kb = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        info["memory_gib"] = round(mem_kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    try:
        import django
        import gunicorn

        info["django"], info["gunicorn"] = django.get_version(), gunicorn.__version__
    except ImportError:
        pass
    if "postgresql" in args.dbs:
        try:
            import psycopg

            admin = urlunsplit(urlsplit(args.pg_url)._replace(path="/postgres"))
            with psycopg.connect(admin, connect_timeout=5) as conn:
                info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:  # noqa: BLE001 - reported, not fatal here
            info["postgresql"] = f"unreachable: {type(exc).__name__}"
    return info


def git_head() -> str:
    proc = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def code_fingerprint() -> str:
    """A hash of the application's code and templates, so a run whose code
    changed half-way (someone editing while it ran) can be told apart."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "aftersales").rglob("*")):
        if path.suffix in (".py", ".html", ".txt") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cpu_busy(seconds: float = 2.0) -> float:
    """Share of all cores busy over the next ``seconds`` (from /proc/stat)."""

    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return idle, sum(fields)

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return round(1 - (idle1 - idle0) / max(1, total1 - total0), 2)


def wait_for_quiet(limit: float) -> float:
    """Timing while other work runs measures that work too: wait up to
    ``limit`` seconds for the cores to be mostly idle, then say how busy they were."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > 0.25 and time.monotonic() < deadline:
        say(f"cores {busy:.0%} busy with other work; waiting (BENCH_WAIT_QUIET={limit:.0f} s)")
        time.sleep(8)
        busy = cpu_busy()
    if busy > 0.25:
        say(
            f"warning: cores {busy:.0%} busy before timing; other work on this machine skews the results"
        )
    return busy


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
