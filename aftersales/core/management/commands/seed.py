"""Seed demo data or large benchmark data."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Seed data. --demo: a small after-sales department in Chinese and English, "
        "with logins printed at the end (--if-empty: only on a database without staff). "
        "--scale N: N customers plus staff for benchmarks, in bulk (15-25 s per "
        "100,000 customers), recorded in var/seed/ so `python -m bench` knows what a "
        "database holds. --status: show that record."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--demo", action="store_true", help="a small demo department with logins")
        what.add_argument(
            "--scale",
            type=int,
            metavar="N",
            help="N customers (and proportional staff) for benchmarks",
        )
        what.add_argument(
            "--status", action="store_true", help="print what was seeded into this database"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="with --demo: do nothing if any staff exist"
        )
        parser.add_argument(
            "--seed-random", type=int, default=42, help="random seed for --scale (default 42)"
        )
        parser.add_argument(
            "--anchor-date",
            type=date.fromisoformat,
            help="with --scale: the last day of seeded history (default today), for rows identical on another day",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(
        self, *args, demo, scale, status, if_empty, seed_random, anchor_date, no_progress, **options
    ):
        if demo:
            self._demo(if_empty=if_empty)
        elif status:
            self._status()
        else:
            if scale < 1:
                raise CommandError("--scale must be at least 1.")
            from aftersales.core.seeding import run_scale

            run_scale(
                scale=scale,
                seed=seed_random,
                anchor=anchor_date,
                show_progress=not no_progress and options["verbosity"] > 0,
                log=lambda line: self.stdout.write(line) if options["verbosity"] > 0 else None,
            )

    def _demo(self, *, if_empty: bool):
        from aftersales.core.seeding import demo_already_seeded, run_demo

        there = demo_already_seeded() if if_empty else None
        if there:
            self.stdout.write(
                f"{there.capitalize()} already exist: demo data skipped (--if-empty)."
            )
            return
        result = run_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data: {_counts(result.created)} created."))
        rows = [("username", "password", "name", "roles")]
        rows += [
            (u, p, n, ", ".join(str(r) for r in roles) or "-") for u, n, roles, p in result.logins
        ]
        widths = [max(_width(r[i]) for r in rows) for i in range(4)]
        self.stdout.write("\nDemo logins:")
        for i, row in enumerate(rows):
            self.stdout.write(
                "  "
                + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))

    def _status(self):
        from aftersales.core.seeding.state import database_label, read_state, schema_fingerprint

        state = read_state()
        self.stdout.write(f"database: {database_label()}")
        self.stdout.write(f"schema fingerprint now: {schema_fingerprint()}")
        self.stdout.write(
            json.dumps(state, indent=2, ensure_ascii=False)
            if state
            else "never seeded with --scale"
        )


def _counts(created: dict) -> str:
    # {"staff": 14, "customers": 30, "proposals": 9} -> "14 staff, 30 customers and 9 proposals"
    parts = [f"{n} {name}" for name, n in created.items()]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else "".join(parts)


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
