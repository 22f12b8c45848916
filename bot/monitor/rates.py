"""What a domain's bounces in the window look like, for the diagnosis; pure.

Called by bot/monitor/evaluate.py with the figures of bot/store/figures.py, the one read model:
the count and the threshold come from there, this only folds the groups into shares and tallies.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.store.figures import DomainFigures

# Bounces our own mail gets when its recipient does not exist (Sisimai reasons).
BAD_RECIPIENT_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved"})
# Bounces that say "we do not want this sender": blocklists, reputation, content filters.
REJECTION_REASONS = frozenset({"blocked", "badreputation", "spamdetected", "policyviolation", "filtered",
                               "rejected", "securityerror", "virusdetected", "contenterror", "requireptr",
                               "authfailure", "speeding", "toomanyconn"})


Tally = tuple[tuple[str, int], ...]  # (key, count), largest first


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderCount:
    sender: str
    bounces: int
    recipient_domains: int  # how many domains its bounced mail went to


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowStats:
    """What one domain's bounces in the window look like, and whether they call for an incident."""

    domain: str
    start: datetime
    end: datetime
    total: int = 0
    hard: int = 0
    soft: int = 0
    ours: int = 0
    spoofed: int = 0
    unknown: int = 0  # the bounce gave no evidence whether the original was ours
    unknown_why: Tally = ()  # models.OriginBasis of the unknown ones → count
    by_reason: Tally = ()
    by_reason_own: Tally = ()  # bounces of our own mail only (not forged, not unknown)
    by_sender: tuple[SenderCount, ...] = ()  # largest first
    by_recipient_domain: Tally = ()
    by_reporting_mta: Tally = ()
    by_blocklist: Tally = ()  # zone → bounces citing it
    citing_blocklists: int = 0  # bounces citing at least one blocklist
    citing_blocklists_own: int = 0  # of those, bounces of our own mail
    spoofed_first_hops: Tally = ()
    baseline: float = 0.0  # typical count in a window of the same length over the last baseline_days
    threshold: int = 0  # the count that opens an incident: alert_bounces, raised by the baseline

    @property
    def alerting(self) -> bool:
        return self.total >= self.threshold > 0

    def reason_count(self, reasons: Iterable[str], *, own_only: bool = False) -> int:
        wanted = set(reasons)
        return sum(n for reason, n in (self.by_reason_own if own_only else self.by_reason) if reason in wanted)


def window_stats(figures: DomainFigures) -> WindowStats:
    """Fold one domain's figures (the store's read model) into what the diagnosis looks at."""
    domain, groups = figures.domain, figures.groups
    if not groups:  # a quiet domain (or one the evaluation did not need grouped): the count is all there is
        return WindowStats(domain=domain, start=figures.start, end=figures.end, total=figures.failed,
                           unknown=figures.failed, baseline=figures.baseline, threshold=figures.threshold)
    reasons: Counter[str] = Counter()
    reasons_own: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    sender_reach: defaultdict[str, set[str]] = defaultdict(set)
    receivers: Counter[str] = Counter()
    mtas: Counter[str] = Counter()
    blocklists: Counter[str] = Counter()
    hops: Counter[str] = Counter()
    unplaced: Counter[str] = Counter()
    hard = ours = spoofed = citing = citing_own = 0
    for group in groups:
        n = group.count
        reasons[group.reason] += n
        hard += n if group.hard else 0
        ours += n if group.ours is True else 0
        spoofed += n if group.ours is False else 0
        if group.ours is True:
            reasons_own[group.reason] += n
        if group.ours is None:
            unplaced[group.origin_basis or "no_evidence"] += n
        if group.sender:
            senders[group.sender] += n
            sender_reach[group.sender].add(group.recipient_domain or "")
        if group.recipient_domain:
            receivers[group.recipient_domain] += n
        if group.reporting_mta:
            mtas[group.reporting_mta] += n
        if zones := set((group.cited_blocklists or "").split()):
            citing += n
            citing_own += n if group.ours is True else 0
            blocklists.update(dict.fromkeys(zones, n))
        if group.ours is False and group.first_hop_ip:
            hops[group.first_hop_ip] += n
    total = figures.failed  # the read model's count, whether or not the groups were read
    by_sender = tuple(SenderCount(sender=sender, bounces=n, recipient_domains=len(sender_reach[sender] - {""}))
                      for sender, n in _largest_first(senders))
    return WindowStats(
        domain=domain, start=figures.start, end=figures.end, total=total, hard=hard, soft=total - hard,
        ours=ours, spoofed=spoofed, unknown=total - ours - spoofed, unknown_why=_largest_first(unplaced),
        by_reason=_largest_first(reasons), by_reason_own=_largest_first(reasons_own), by_sender=by_sender,
        by_recipient_domain=_largest_first(receivers), by_reporting_mta=_largest_first(mtas),
        by_blocklist=_largest_first(blocklists), citing_blocklists=citing,
        citing_blocklists_own=citing_own, spoofed_first_hops=_largest_first(hops),
        baseline=figures.baseline, threshold=figures.threshold,
    )


def _largest_first(counter: Counter[str]) -> Tally:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
