"""What a reputation check says about listings, as keys the incident state machine compares; pure.

A listing key is "target@zone" ("192.0.2.10@zen.spamhaus.org", "example.com@dbl.spamhaus.org").
Informational zones (UCEPROTECT L2/L3) never count; an error or timeout is neither listed nor cleared.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.models import CheckResult, ListingStatus, ZoneResult


def zone_results(check: CheckResult) -> Iterator[tuple[str, ZoneResult]]:
    """(target, result) for every lookup of the check: each IP's zones, then the domain's."""
    for ip in check.ips:
        for result in ip.results:
            yield ip.ip, result
    for result in check.domain_results:
        yield check.target, result


def listed(check: CheckResult) -> list[tuple[str, ZoneResult]]:
    return [(target, result) for target, result in zone_results(check)
            if result.status is ListingStatus.LISTED and not result.informational
            and result.zone not in check.broken_zones]


def listing_keys(check: CheckResult | None) -> frozenset[str]:
    return frozenset(key(target, result) for target, result in listed(check)) if check else frozenset()


def cleared_keys(check: CheckResult | None) -> frozenset[str]:
    """Keys the check positively found not listed (an error or timeout says nothing)."""
    if check is None:
        return frozenset()
    return frozenset(key(target, result) for target, result in zone_results(check)
                     if result.status is ListingStatus.NOT_LISTED)


def key(target: str, result: ZoneResult) -> str:
    return f"{target}@{result.zone}"
