"""Seeding: a small demo department (``seed --demo``) and large data for
benchmarks (``seed --scale N``), built from a registry of steps that later
apps extend (see registry.py)."""

import os
import random
import time

from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from aftersales.core.seeding import scale as _core_steps  # noqa: F401 - registers core's steps
from aftersales.core.seeding.registry import SeedStep, seed_step, seed_steps, set_anchor_day
from aftersales.core.seeding.state import (
    generator_fingerprint,
    read_state,
    schema_fingerprint,
    state_matches,
    write_state,
)

__all__ = ["SeedStep", "run_scale", "seed_step", "seed_steps", "state_matches"]


def run_scale(*, scale: int, seed: int, anchor=None, show_progress: bool = True, log=print) -> dict:
    """Run every registered step for ``scale`` customers and record the result."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    from aftersales.customers.models import Customer

    # VACUUM cannot run inside a transaction (as in tests); ANALYZE can.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    steps = seed_steps()
    previous = read_state()
    existing = Customer.objects.count()
    set_anchor_day(anchor)

    def progress(total: int, desc: str):
        return tqdm(
            total=total,
            desc=f"{desc:>10}",
            unit=" rows",
            unit_scale=True,
            disable=not show_progress,
            mininterval=0.5,
        )

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # A large page cache keeps index inserts off the disk while the tables grow.
            cursor.execute("PRAGMA cache_size=-262144")
    started = time.perf_counter()
    # Seeding speed depends on what else the machine runs; the record says.
    load_before = [round(x, 2) for x in os.getloadavg()]
    done = []
    try:
        for step in steps:
            t0 = time.perf_counter()
            rows = step.fn(scale, random.Random(f"{seed}:{step.name}"), progress) or {}
            seconds = time.perf_counter() - t0
            done.append({"step": step.name, "seconds": round(seconds, 1), "rows": rows})
            log(
                f"{step.name}: {', '.join(f'{v:,} {k}' for k, v in rows.items())} in {seconds:.1f} s"
            )
    finally:
        set_anchor_day(None)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    log(f"{'vacuum + ' if vacuum else ''}analyze in {time.perf_counter() - t0:.1f} s")
    total = time.perf_counter() - started

    # Seeding twice adds up: a database seeded twice at N is recorded as 2N,
    # so it never passes for one seeded once at N. A record whose count no
    # longer matches belongs to a database since recreated, and is ignored.
    before = previous["scale"] if previous and previous.get("customers_total") == existing else 0
    state = {
        "scale": before + scale,
        "seed_random": seed,
        "schema": schema_fingerprint(),
        "generator": generator_fingerprint(steps),
        "steps": done,
        "customers_total": Customer.objects.count(),
        "seconds": round(total, 1),
        "vendor": connection.vendor,
        "loadavg": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "seeded_at": timezone.now().isoformat(timespec="seconds"),
    }
    path = write_state(state)
    log(f"seeded {scale:,} customers in {total:.1f} s; recorded in {path}")
    return state
