"""Portal test set-up: rate-limit counters in a cache of their own per test,
and tasks run in process."""

import uuid

import pytest


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    # The development cache is a shared folder; each test counts from zero.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"portal-test-{uuid.uuid4().hex}",
        }
    }
    settings.RATELIMIT_ENABLE = True


@pytest.fixture(autouse=True)
def _tasks_in_process(huey_immediate):
    """Tasks queued by on-commit callbacks run at once, in memory."""
