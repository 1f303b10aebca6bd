"""Rate limits of the public portal (P4: spam control without third parties).

Counters live in the default cache (django-ratelimit, fixed one-hour windows),
so they cost no database write and vanish by themselves. Each limit is a
policy number read when it is applied, never a constant:

- ``portal_submissions_per_ip_per_hour``: web-form posts from one IP address,
  every post counted (a flood of junk costs as much as a flood of proposals);
- ``portal_submissions_per_address_per_hour``: proposals stored from one email
  address and, separately, from one phone number, so rotating IP addresses
  does not let a sender bury one address's inbox in acknowledgements;
- ``portal_lookups_per_ip_per_hour``: look-ups from one IP address, every
  attempt counted, so references cannot be guessed at speed.

The IP address is REMOTE_ADDR; behind a reverse proxy, set
RATELIMIT_IP_META_KEY so it is the client's, not the proxy's.
``settings.RATELIMIT_ENABLE`` off (benchmarks only) switches all of them off.
"""

from django_ratelimit.core import get_usage

from aftersales.policy.services import policy_value

SUBMIT_GROUP = "portal.submit.ip"
ADDRESS_GROUP = "portal.submit.address"
LOOKUP_GROUP = "portal.lookup.ip"


def _per_hour(key: str):
    def rate(group, request):
        return f"{int(policy_value(key))}/h"

    return rate


def _ip_over_limit(request, group: str, policy_key: str) -> bool:
    """Count this request against its IP address in ``group``; True once past
    the policy's hourly limit."""
    usage = get_usage(request, group=group, key="ip", rate=_per_hour(policy_key), increment=True)
    return bool(usage and usage["should_limit"])


def submission_from_ip_over_limit(request) -> bool:
    return _ip_over_limit(request, SUBMIT_GROUP, "portal_submissions_per_ip_per_hour")


def lookup_from_ip_over_limit(request) -> bool:
    return _ip_over_limit(request, LOOKUP_GROUP, "portal_lookups_per_ip_per_hour")


def _address_usage(request, address: str, *, increment: bool):
    return get_usage(
        request,
        group=ADDRESS_GROUP,
        key=lambda group, request: address,
        rate=_per_hour("portal_submissions_per_address_per_hour"),
        increment=increment,
    )


def addresses_at_limit(request, addresses: list[str]) -> bool:
    """True when any of these normalised addresses already sent as many
    proposals this hour as the limit allows (nothing is counted here)."""
    for address in addresses:
        usage = _address_usage(request, address, increment=False)
        if usage and usage["count"] >= usage["limit"]:
            return True
    return False


def count_addresses(request, addresses: list[str]) -> None:
    """Count one stored proposal against each address."""
    for address in addresses:
        _address_usage(request, address, increment=True)
