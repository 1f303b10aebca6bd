"""What was seeded into a database, so the benchmark can tell whether a seeded
database still matches what it wants to measure.

Kept as a JSON file in ``var/seed/`` named after the database (not in a
table, so reseeding from scratch also needs no migration of its own). The
benchmark checks the file against the live database too: the customer count
must match, so a database recreated behind the file's back is noticed.
"""

import hashlib
import json
import re
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder


def database_label(alias: str = "default") -> str:
    conn = connections[alias]
    params = conn.settings_dict
    if conn.vendor == "sqlite":
        return f"sqlite:{Path(str(params['NAME'])).resolve()}"
    return f"{conn.vendor}://{params.get('HOST') or 'localhost'}:{params.get('PORT') or ''}/{params['NAME']}"


def state_path(alias: str = "default") -> Path:
    label = database_label(alias)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", label.rsplit("/", 1)[-1])[-40:]
    digest = hashlib.sha256(label.encode()).hexdigest()[:12]
    return Path(settings.VAR_DIR) / "seed" / f"{connections[alias].vendor}-{readable}-{digest}.json"


def schema_fingerprint(alias: str = "default") -> str:
    """A hash of the applied migrations: any new migration changes it."""
    applied = sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connections[alias]).applied_migrations()
    )
    return hashlib.sha256("\n".join(applied).encode()).hexdigest()[:16]


def generator_fingerprint(steps) -> str:
    text = "\n".join(f"{s.name}:{s.version}" for s in steps)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_state(alias: str = "default") -> dict | None:
    path = state_path(alias)
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_state(state: dict, alias: str = "default") -> Path:
    path = state_path(alias)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False))
    tmp.replace(path)
    return path


def forget_state(alias: str = "default") -> None:
    state_path(alias).unlink(missing_ok=True)


def state_matches(*, scale: int, seed: int, alias: str = "default") -> tuple[bool, str]:
    """(True, "") when the database holds exactly this seeding on this schema."""
    from aftersales.core.seeding.registry import scaled_count, seed_steps

    state = read_state(alias)
    if state is None:
        return False, "never seeded"
    wanted = {
        "scale": scale,
        "seed_random": seed,
        "schema": schema_fingerprint(alias),
        "generator": generator_fingerprint(seed_steps()),
    }
    for key, value in wanted.items():
        if state.get(key) != value:
            return False, f"{key} is {state.get(key)!r}, wanted {value!r}"
    live = scaled_count(alias)
    if live != state.get("customers_total"):
        return (
            False,
            f"the database holds {live} customers, the record says {state.get('customers_total')}",
        )
    return True, ""
