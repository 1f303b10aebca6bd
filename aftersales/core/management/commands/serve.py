"""Serve the web UI and the API, and run the background worker beside it."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Serve the web UI and API on --bind and run the background worker, in the "
        "foreground, until Ctrl-C stops both. --prod uses gunicorn with N workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("AFTERSALES_BIND", "127.0.0.1:8000"), help="host:port (default 127.0.0.1:8000)")
        parser.add_argument("--prod", action="store_true", help="production server (gunicorn) instead of Django's development server")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "0")) or (os.cpu_count() or 1) * 2 + 1, help="gunicorn worker processes (with --prod)")
        parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (with --prod)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args, bind, prod, workers, threads, no_worker, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        exe = [sys.executable, "-m", "aftersales.cli"]
        if prod:
            web = [
                sys.executable, "-m", "gunicorn", "aftersales.config.wsgi:application",
                "--bind", bind, "--workers", str(workers), "--threads", str(threads),
                "--access-logfile", "-", "--graceful-timeout", "10", "--timeout", "60",
            ]
        else:
            web = [*exe, "runserver", bind, "--noreload"]
        procs = {"web": subprocess.Popen(web)}
        if not no_worker:
            procs["worker"] = subprocess.Popen([*exe, "worker"])
        self.stdout.write(f"Aftersales on http://{bind}/ ({'gunicorn' if prod else 'development server'}"
                          f"{'' if no_worker else ' + worker'}); Ctrl-C stops.")

        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            if stopping:
                return
            stopping = True
            for proc in procs.values():
                if proc.poll() is None:
                    # SIGTERM even on Ctrl-C: a child started in the background
                    # may ignore SIGINT, and both servers stop cleanly on SIGTERM.
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # When either process ends, stop the other: a web server without its
        # worker would quietly queue mail that never goes.
        while not stopping and all(p.poll() is None for p in procs.values()):
            time.sleep(0.2)
        stop(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        codes = {name: p.returncode for name, p in procs.items()}
        self.stdout.write(f"Stopped ({', '.join(f'{k} {v}' for k, v in codes.items())}).")
