"""The registry of seeding steps: each app seeds its own records.

Two kinds of step, both registered from ``aftersales/<app>/seeding.py``,
which the registry imports by convention (like admin.py), in the order of
INSTALLED_APPS; steps then run by ``order``. Accounts uses 10 (departments and
staff), customers 20, proposals 30; inspections and quality take the numbers
after theirs, since each step may use the records of the steps before it.

**Demo steps** (``seed --demo``) make a small, realistic department through the
services, safe to re-run; each returns a ``DemoPart``: how many records it
created, and the logins to print::

    @demo_step("proposals", order=30)
    def seed_demo_proposals() -> DemoPart: ...

``exists`` (optional) says whether the step's records are already there:
``seed --demo --if-empty`` does nothing when one says so.

**Scale steps** (``seed --scale N``) are ``fn(scale, rng, progress) -> {label:
rows}``. ``scale`` is the number of customers asked for; a step sizes its own
records from it (so many proposals per customer, so many staff per 2,000
customers). ``rng`` is a ``random.Random`` seeded from ``--seed-random`` and
the step's name, so adding a step never changes the data of another.
``progress(total, desc)`` returns a tqdm bar to ``update()``::

    @seed_step("proposals", order=30)
    def seed_proposals(scale, rng, progress): ...

Bump a step's ``version`` when the data it makes changes: it is part of the
generator fingerprint, so the benchmark reseeds. The app whose records the
scale counts registers their count with ``@scale_counter``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

# How far back seeded history reaches, for every app's steps alike.
YEARS_OF_HISTORY = 3


@dataclass(frozen=True)
class SeedStep:
    name: str
    fn: Callable
    order: int = 100
    version: int = 1


@dataclass(frozen=True)
class DemoStep:
    name: str
    fn: Callable
    order: int = 100
    exists: Callable[[], bool] | None = None


@dataclass
class DemoPart:
    created: int
    logins: list = field(default_factory=list)  # (username, name, role labels, password)


_STEPS: dict[str, SeedStep] = {}
_DEMO_STEPS: dict[str, DemoStep] = {}
_COUNTER: list[Callable[[str], int]] = []
_ANCHOR: list = []


def anchor_day():
    """The last day of seeded history: today, or ``seed --anchor-date`` for a
    run that must give the same rows on another day."""
    return _ANCHOR[0] if _ANCHOR else timezone.localdate()


def set_anchor_day(day) -> None:
    _ANCHOR[:] = [day] if day else []


def aware(day, seconds: float = 0.0) -> datetime:
    """A moment ``seconds`` after 08:00 local time on ``day``."""
    return timezone.make_aware(datetime.combine(day, time(8, 0))) + timedelta(seconds=seconds)


def _register(registry: dict, name: str, step) -> None:
    known = registry.get(name)
    if known is not None and known.fn.__qualname__ != step.fn.__qualname__:
        raise ValueError(f"Two seeding steps are called {name!r}.")
    registry[name] = step


def seed_step(name: str, *, order: int = 100, version: int = 1):
    def decorator(fn):
        _register(_STEPS, name, SeedStep(name=name, fn=fn, order=order, version=version))
        return fn

    return decorator


def demo_step(name: str, *, order: int = 100, exists: Callable[[], bool] | None = None):
    def decorator(fn):
        _register(_DEMO_STEPS, name, DemoStep(name=name, fn=fn, order=order, exists=exists))
        return fn

    return decorator


def scale_counter(fn: Callable[[str], int]) -> Callable[[str], int]:
    """Register ``fn(alias) -> int``: how many of what ``--scale N`` counts
    (customers) a database holds, so a seeding record can be checked against it."""
    _COUNTER[:] = [fn]
    return fn


def _discover() -> None:
    # Each app's seeding.py registers its steps on import, like admin.py.
    autodiscover_modules("seeding")


def seed_steps() -> list[SeedStep]:
    _discover()
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def demo_steps() -> list[DemoStep]:
    _discover()
    return sorted(_DEMO_STEPS.values(), key=lambda s: (s.order, s.name))


def scaled_count(alias: str = "default") -> int:
    _discover()
    if not _COUNTER:
        raise LookupError("No app registered what --scale counts (@scale_counter).")
    return _COUNTER[0](alias)
