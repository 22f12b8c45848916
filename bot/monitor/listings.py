"""What a reputation check says about listings, as `Listing`s the incident state machine compares; pure.

Informational zones (UCEPROTECT L2/L3) never count; an error or timeout is neither listed nor cleared.
`blacklist_status` is the one judgement of what may be said about a domain's listings: the card, the
status answer and App Home all show it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from bot.models import BlacklistState, BlacklistStatus, CheckResult, Listing, ListingStatus, Verdict, ZoneResult
from bot.monitor.wording import span
from bot.store.incidents_store import CheckFailure


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


def listings_of(check: CheckResult | None) -> frozenset[Listing]:
    return frozenset(Listing(target, result.zone) for target, result in listed(check)) if check else frozenset()


def cleared_by(check: CheckResult | None) -> frozenset[Listing]:
    """What the check positively found not listed (an error or timeout says nothing)."""
    if check is None:
        return frozenset()
    return frozenset(Listing(target, result.zone) for target, result in zone_results(check)
                     if result.status is ListingStatus.NOT_LISTED)


def blacklist_status(check: CheckResult | None, failure: CheckFailure | None, now: datetime,
                     max_age: timedelta) -> BlacklistStatus:
    """What every surface may say of a domain's blacklist status: a ✅ only for a recent check that answered.

    `failure` is a check that could not run at all, newer than `check` (the last one that ran).
    """
    if failure is not None:
        last = f"; the last check that ran was at {check.checked_at:%Y-%m-%d %H:%M} UTC" if check else ""
        why = f"the check at {failure.at:%Y-%m-%d %H:%M} UTC could not run: {failure.reason}{last}"
        return BlacklistStatus(state=BlacklistState.UNKNOWN, checked_at=failure.at, why=why)
    if check is None:
        return BlacklistStatus(state=BlacklistState.NOT_CHECKED, why="no blacklist check has run yet")
    answered = len({r.zone for _, r in zone_results(check)
                    if r.status in (ListingStatus.LISTED, ListingStatus.NOT_LISTED)})
    if listed(check):
        return BlacklistStatus(state=BlacklistState.LISTED, checked_at=check.checked_at, lists=answered)
    if check.verdict is not Verdict.CLEAN:
        return BlacklistStatus(state=BlacklistState.UNKNOWN, checked_at=check.checked_at, lists=answered,
                               why=unanswered(check))
    if now - check.checked_at > max_age:
        return BlacklistStatus(state=BlacklistState.UNKNOWN, checked_at=check.checked_at, lists=answered,
                               why=f"the last complete check was at {check.checked_at:%Y-%m-%d %H:%M} UTC, more than "
                                   f"{span(max_age)} ago")
    return BlacklistStatus(state=BlacklistState.NOT_LISTED, checked_at=check.checked_at, lists=answered)


def unanswered(check: CheckResult) -> str:
    """Why a check is neither listed nor clean, from what it says of itself."""
    problems = [p for p in check.problems if p]
    if problems:
        return "; ".join(problems)
    silent = [f"{r.list or r.zone} ({r.status.value})" for _, r in zone_results(check)
              if r.status in (ListingStatus.ERROR, ListingStatus.TIMEOUT) and not r.informational]
    if silent:
        return f"{len(silent)} lookups did not answer: {', '.join(dict.fromkeys(silent))}"
    return "the check did not reach every list"
