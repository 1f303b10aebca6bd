"""Seeding: a small demo department (``seed --demo``) and large data for
benchmarks (``seed --scale N``), built from a registry of steps each app
fills from its own ``seeding.py`` (see registry.py). This package holds only
the machinery: the registry, bulk writers (bulk.py), text generators
(text.py) and the record of what was seeded (state.py)."""

import os
import random
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from aftersales.core.seeding.registry import (
    DemoPart,
    SeedStep,
    demo_step,
    demo_steps,
    scale_counter,
    scaled_count,
    seed_step,
    seed_steps,
    set_anchor_day,
)
from aftersales.core.seeding.state import (
    generator_fingerprint,
    read_state,
    schema_fingerprint,
    state_matches,
    write_state,
)

__all__ = [
    "DemoPart",
    "DemoResult",
    "SeedStep",
    "demo_already_seeded",
    "demo_step",
    "run_demo",
    "run_scale",
    "scale_counter",
    "seed_step",
    "seed_steps",
    "state_matches",
]


@dataclass
class DemoResult:
    created: dict  # {step name: records created}, in the order the steps ran
    logins: list  # (username, name, role labels, password)


def demo_already_seeded() -> str | None:
    """The name of the first demo step whose records already exist, if any."""
    return next((step.name for step in demo_steps() if step.exists and step.exists()), None)


@transaction.atomic
def run_demo() -> DemoResult:
    """Every registered demo step in order, in one transaction."""
    result = DemoResult(created={}, logins=[])
    for step in demo_steps():
        part: DemoPart = step.fn()
        result.created[step.name] = part.created
        result.logins += part.logins
    return result


def run_scale(*, scale: int, seed: int, anchor=None, show_progress: bool = True, log=print) -> dict:
    """Run every registered step for ``scale`` customers and record the result."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    # VACUUM cannot run inside a transaction (as in tests); ANALYZE can.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    steps = seed_steps()
    previous = read_state()
    existing = scaled_count()
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
        # Named for what the scale counts; the benchmark reads this key.
        "customers_total": scaled_count(),
        "seconds": round(total, 1),
        "vendor": connection.vendor,
        "loadavg": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "seeded_at": timezone.now().isoformat(timespec="seconds"),
    }
    path = write_state(state)
    log(f"seeded {scale:,} customers in {total:.1f} s; recorded in {path}")
    return state
