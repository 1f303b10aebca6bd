"""The registry of large-data seeding steps.

A step is ``(name, fn(scale, rng, progress) -> {label: rows})``. ``scale`` is
the number of customers asked for; a step sizes its own records from it (so
many proposals per customer, so many staff per 2,000 customers). ``rng`` is a
``random.Random`` seeded from ``--seed-random`` and the step's name, so adding
a step never changes the data of another. ``progress(total, desc)`` returns a
tqdm bar to ``update()``.

A later app adds its records in ``aftersales/<app>/seeding.py``::

    from aftersales.core.seeding import seed_step

    @seed_step("proposals", order=30)
    def seed_proposals(scale, rng, progress): ...

Steps run by ``order`` (core uses 10 for staff, 20 for customers). Bump a
step's ``version`` when the data it makes changes: it is part of the
generator fingerprint, so the benchmark reseeds.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class SeedStep:
    name: str
    fn: Callable
    order: int = 100
    version: int = 1


_STEPS: dict[str, SeedStep] = {}
_ANCHOR: list = []


def anchor_day():
    """The last day of seeded history: today, or ``seed --anchor-date`` for a
    run that must give the same rows on another day."""
    return _ANCHOR[0] if _ANCHOR else timezone.localdate()


def set_anchor_day(day) -> None:
    _ANCHOR[:] = [day] if day else []


def seed_step(name: str, *, order: int = 100, version: int = 1):
    def decorator(fn):
        known = _STEPS.get(name)
        if known is not None and known.fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"Two seeding steps are called {name!r}.")
        _STEPS[name] = SeedStep(name=name, fn=fn, order=order, version=version)
        return fn

    return decorator


def seed_steps() -> list[SeedStep]:
    # Each app's seeding.py registers its steps on import, like admin.py.
    autodiscover_modules("seeding")
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))
