"""Proposals test set-up: tasks run in process; the factories in factories.py."""

import pytest


@pytest.fixture(autouse=True)
def huey_runs_in_process(huey_immediate):
    """Tasks queued by on-commit callbacks run at once, in memory."""
