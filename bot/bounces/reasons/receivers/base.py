"""The shape of one receiver's documented replies: a `Receiver` and its `Rule`s (data, read by the
classifier, `bot.bounces.reasons`).

Sisimai's lib/sisimai/rhost/*.rb (BSD-2, © azumakuniyuki): big receivers document what their
replies mean, and a phrase that is unambiguous from them ("this mail has been rate limited") would
be too loose from anyone else. Each provider module in this package holds one `Receiver`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.models import Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A lower-case phrase naming `reason`; with `status`, only under that status code.

    `status` is exact ("5.1.10"), a range of the last number ("5.7.606-649"), or a class ("4", "5"),
    which the status or else the reply code must start with.
    """

    reason: Reason
    phrase: str
    status: str | None = None

    def matches(self, status: str, reply_code: str, text: str) -> bool:
        return self.phrase in text and (self.status is None or _status_fits(self.status, status, reply_code))


def _status_fits(wanted: str, status: str, reply_code: str) -> bool:
    if "." not in wanted:
        return (status or reply_code).startswith(wanted)
    if "-" not in wanted:
        return status == wanted
    prefix, _, span = wanted.rpartition(".")
    low, _, high = span.partition("-")
    head, _, last = status.rpartition(".")
    return head == prefix and last.isdigit() and int(low) <= int(last) <= int(high)


@dataclass(frozen=True, slots=True, kw_only=True)
class Codes:
    """A receiver's own error labels ("AUP#CXBL", "IB401"): `pattern` captures one, `table` names it."""

    pattern: re.Pattern[str]  # searched in the lower-cased diagnostic; group 1 is the label
    table: Mapping[str, Reason]

    def reason(self, text: str) -> Reason | None:
        found = self.pattern.search(text)
        return self.table.get(found.group(1)) if found else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Receiver:
    """What one receiver's replies mean, read only when the bounce is from or to it."""

    name: str
    hosts: tuple[str, ...]  # remote or reporting MTA name suffixes: "google.com"
    domains: tuple[str, ...] = ()  # recipient domains it hosts (Sisimai's "destination"): "gmail.com"
    rules: tuple[Rule, ...] = ()  # first match wins
    codes: Codes | None = None  # read first: a label is the receiver's own exact word
    statuses: Mapping[str, Reason] = field(default_factory=lambda: MappingProxyType({}))  # then the status
    # read last, when the status is the vague "x.0.0": the SMTP command the receiver refused
    commands: Mapping[str, Reason] = field(default_factory=lambda: MappingProxyType({}))

    def serves_host(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def serves_domain(self, domain: str) -> bool:
        return domain in self.domains

    def reason(self, *, status: str, reply_code: str, command: str | None, text: str) -> Reason | None:
        """The receiver's meaning of one lower-cased reply, or None when it documents none."""
        known = self.codes.reason(text) if self.codes else None
        if known is None:
            known = self.statuses.get(status)
        if known is None:
            known = next((r.reason for r in self.rules if r.matches(status, reply_code, text)), None)
        if known is None and status.endswith(".0.0") and command is not None:
            known = self.commands.get(command)
        return known


def rules(*groups: tuple[Reason, tuple[str, ...]], status: str | None = None) -> tuple[Rule, ...]:
    """Rules from (reason, phrases) groups, in order; `status` applies to all of them."""
    return tuple(Rule(reason=reason, phrase=phrase, status=status) for reason, phrases in groups for phrase in phrases)


def coded(*entries: tuple[Reason, str, str]) -> tuple[Rule, ...]:
    """Rules from (reason, status, phrase) entries, as Microsoft documents its NDRs."""
    return tuple(Rule(reason=reason, phrase=phrase, status=status) for reason, status, phrase in entries)
