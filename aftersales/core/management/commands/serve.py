"""Serve the web UI and the API, and run the background worker beside it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aftersales.config.env import env_int


class Command(BaseCommand):
    help = (
        "Serve the web UI and API on --bind and run the background worker, in the "
        "foreground, until Ctrl-C stops both. --prod uses gunicorn with N workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=os.environ.get("AFTERSALES_BIND", "127.0.0.1:8000"),
            help="host:port (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--prod",
            action="store_true",
            help="production server (gunicorn) instead of Django's development server",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("WEB_CONCURRENCY", 0, minimum=0) or (os.cpu_count() or 1) * 2 + 1,
            help="gunicorn worker processes (with --prod; default WEB_CONCURRENCY or 2 × cores + 1)",
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="threads per gunicorn worker (with --prod)"
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        parser.add_argument(
            "--mailsink",
            action="store_true",
            help="also run a local SMTP server that saves outgoing mail to var/mail/ (development only)",
        )

    def handle(self, *args, bind, prod, workers, threads, no_worker, mailsink=False, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        exe = [sys.executable, "-m", "aftersales.cli"]
        if prod:
            # WhiteNoise serves hashed, compressed copies; make sure they exist.
            if subprocess.run([*exe, "collectstatic", "--no-input", "-v", "0"]).returncode != 0:
                raise CommandError("collectstatic failed (see above); not starting.")
            web = [
                sys.executable,
                "-m",
                "gunicorn",
                "aftersales.config.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
                "--timeout",
                "60",
                # gunicorn's default control socket is one per user; two servers
                # on one machine (a benchmark beside `make run`) would share it.
                "--control-socket",
                str(Path(settings.VAR_DIR) / f"gunicorn-{os.getpid()}.ctl"),
            ]
        else:
            web = [*exe, "runserver", bind, "--noreload"]
        # The handler only raises a flag; the loop below does the stopping. Set
        # before any child starts, so an early Ctrl-C cannot orphan one.
        stopping = False

        def request_stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        # Each child in a process group of its own: a Ctrl-C in the terminal
        # reaches only this process, which passes one signal on. Reaching the
        # children too, it made two, and the worker's second SIGINT cuts its
        # graceful shutdown short.
        procs = {}
        if mailsink:
            procs["mailsink"] = subprocess.Popen([*exe, "mailsink"], process_group=0)
        procs["web"] = subprocess.Popen(web, process_group=0)
        if not no_worker:
            procs["worker"] = subprocess.Popen([*exe, "worker"], process_group=0)
        self.stdout.write(
            f"Aftersales on http://{bind}/ ({'gunicorn' if prod else 'development server'}"
            f"{'' if no_worker else ' + worker'}); Ctrl-C stops."
        )

        # When either process ends, stop the other: a web server without its
        # worker would quietly queue mail that never goes.
        while not stopping and all(p.poll() is None for p in procs.values()):
            time.sleep(0.2)
        # A child that ended before anyone asked is a failure (a port in use, a
        # crash), and so is one that had to be killed: either exits non-zero.
        died = [] if stopping else [name for name, p in procs.items() if p.poll() is not None]
        for name, proc in procs.items():
            if proc.poll() is None:
                # Not SIGINT for the web server, even on Ctrl-C: a child started in
                # the background ignores it, and both servers stop cleanly on
                # SIGTERM. The huey worker sets its own SIGINT handler, and SIGINT
                # lets it finish the tasks it is running (SIGTERM abandons them).
                proc.send_signal(signal.SIGINT if name == "worker" else signal.SIGTERM)
        deadline = time.monotonic() + 15
        killed = []
        for name, proc in procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                killed.append(name)
        codes = {name: p.returncode for name, p in procs.items()}
        self.stdout.write(f"Stopped ({', '.join(f'{k} {v}' for k, v in codes.items())}).")
        if died:
            raise CommandError(
                f"{', '.join(died)} stopped by itself (exit {', '.join(str(codes[n]) for n in died)})."
            )
        if killed:
            raise CommandError(f"{', '.join(killed)} did not stop within 15 s and was killed.")
