"""'My work': the sections of things waiting on a user.

Each domain registers a provider ``(user) -> dict | None`` returning
``{"title", "items": [{"label", "url", "note"}], "more_url"}``; later issues add
theirs. Providers must run a fixed number of queries each.
"""

from collections.abc import Callable

WORK_PROVIDERS: list[Callable] = []


def register_work(provider: Callable) -> Callable:
    # AppConfig.ready() may run more than once under some test runners.
    if provider not in WORK_PROVIDERS:
        WORK_PROVIDERS.append(provider)
    return provider


def work_for(user) -> list[dict]:
    sections = []
    for provider in WORK_PROVIDERS:
        section = provider(user)
        if section:
            sections.append(section)
    return sections
