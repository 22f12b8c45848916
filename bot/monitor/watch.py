"""Blacklist watch: check each monitored domain and its sending IPs, keep the history, announce changes.

Called by bot/jobs.py every `reputation_interval` for every domain, and every `recheck_interval` for
the domains with an open incident. Each check also refreshes the servers learned from the domain's
SPF and MX, which tell the scanner our mail from forged mail. A listing the previous stored check did not show opens an
incident of cause `blacklisted` (or joins the open one); a delisting is posted in the incident's
thread. Comparing with the stored check, not with memory, makes the first check ever a baseline
that alerts only on listings, and a restart re-announce nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from bot.config import Settings
from bot.errors import BounceCheckError
from bot.models import CheckResult, Listing
from bot.monitor import listings
from bot.monitor.evaluate import Outcome, evaluate
from bot.store import incidents_store
from bot.store.figures import our_sending_ips
from bot.store.servers_store import save_learned

log = logging.getLogger(__name__)


class Checker(Protocol):
    """bot.reputation.check.check_target's signature."""

    def __call__(self, target: str, settings: Settings, *, bounce_ips: Sequence[str] = ()) -> CheckResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """What a round of checks stored: the domains to evaluate, the listings that appeared, what failed."""

    domains: tuple[str, ...]
    appeared: dict[str, frozenset[Listing]]
    failures: tuple[str, ...] = ()  # one sentence per domain whose check failed


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchReport:
    outcomes: list[Outcome]  # incidents and the events to announce, as `evaluate` returns them
    failures: tuple[str, ...] = ()  # one sentence per domain whose check failed


def watch(engine: Engine, settings: Settings, now: datetime, *, check: Checker,
          domains: Sequence[str] | None = None) -> WatchReport:
    """Check `domains` (default: every monitored one), store each check, then evaluate them."""
    checked = check_domains(engine, settings, now, check=check, domains=domains)
    outcomes = evaluate(engine, settings, now, domains=checked.domains, new_listings=checked.appeared) \
        if checked.domains else []
    return WatchReport(outcomes=outcomes, failures=checked.failures)


def check_domains(engine: Engine, settings: Settings, now: datetime, *, check: Checker,
                  domains: Sequence[str] | None = None) -> Checked:
    """Check and store each domain, `[dns] concurrent_checks` at a time; evaluates nothing, so it holds no
    lock the scan needs: a flood that arrives mid-watch is alerted by the next scan, not after the watch.

    The first domain is checked alone: its zone probes land in the shared resolver's cache (an hour),
    so the others reuse them instead of each probing every zone at once. Every query still goes
    through the resolver's per-zone rate limit, however many checks run.
    """
    names = list(dict.fromkeys(domains if domains is not None else settings.monitor.domains))
    if not names:
        return Checked(domains=(), appeared={})
    results = [_check_and_store(engine, settings, names[0], now, check)]
    if len(names) > 1:
        workers = min(settings.dns.concurrent_checks, len(names) - 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="watch") as pool:
            results += pool.map(lambda domain: _check_and_store(engine, settings, domain, now, check), names[1:])
    appeared = {domain: new for domain, new, _ in results if new}
    return Checked(domains=tuple(names), appeared=appeared,
                   failures=tuple(failure for _, _, failure in results if failure))


def _check_and_store(engine: Engine, settings: Settings, domain: str, now: datetime,
                     check: Checker) -> tuple[str, frozenset[Listing], str]:
    """(domain, listings new since its previous stored check, the failure sentence or "")."""
    try:
        result = _check(engine, settings, domain, now, check)
    except BounceCheckError as exc:
        log.warning("reputation check of %s failed: %s", domain, exc, extra={"domain": domain})
        with engine.begin() as conn:  # so no surface keeps showing the last result as current
            incidents_store.save_failed_check(conn, domain, now, str(exc))
        return domain, frozenset(), f"{domain}: {exc}"
    with engine.begin() as conn:
        previous = incidents_store.latest_checks(conn, [domain]).get(domain)
        incidents_store.save_check(conn, domain, result)
        save_learned(conn, domain, result.servers, result.servers_answered, result.checked_at)
    return domain, listings.listings_of(result) - listings.listings_of(previous), ""


def _check(engine: Engine, settings: Settings, domain: str, now: datetime, check: Checker) -> CheckResult:
    with engine.connect() as conn:
        bounce_ips = our_sending_ips(conn, domain, now)
    return check(domain, settings, bounce_ips=bounce_ips)


def default_checker() -> Checker:
    """The real reputation check (imported late: DNS machinery is not needed to evaluate)."""
    from bot.reputation.check import check_target

    return check_target
