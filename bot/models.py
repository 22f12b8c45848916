"""The frozen records every layer shares: parsed bounce reports, reputation results, incidents.

Each section is owned by the layer that produces it (bounces, reputation, monitor); the others read
it. Records are immutable and typed; JSON shapes are built from them in one place per command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# --------------------------------------------------------------------------- bounces (parser)


class Kind(StrEnum):
    """What a message in the postmaster mailbox is."""

    BOUNCE = "bounce"
    FEEDBACK = "feedback"  # ARF complaint (RFC 5965)
    AUTOREPLY = "autoreply"  # RFC 3834 vacation / out-of-office
    DELIVERED = "delivered"  # a success DSN
    NOT_BOUNCE = "not_bounce"


class Action(StrEnum):
    FAILED = "failed"
    DELAYED = "delayed"


class Reason(StrEnum):
    """Sisimai's reason vocabulary (shared/corpus/README.md)."""

    USERUNKNOWN = "userunknown"
    HOSTUNKNOWN = "hostunknown"
    HASMOVED = "hasmoved"
    MAILBOXFULL = "mailboxfull"
    EXCEEDLIMIT = "exceedlimit"
    MESGTOOBIG = "mesgtoobig"
    SYSTEMFULL = "systemfull"
    SUSPEND = "suspend"
    FILTERED = "filtered"
    REJECTED = "rejected"
    BLOCKED = "blocked"
    BADREPUTATION = "badreputation"
    REQUIREPTR = "requireptr"
    SPAMDETECTED = "spamdetected"
    VIRUSDETECTED = "virusdetected"
    POLICYVIOLATION = "policyviolation"
    SECURITYERROR = "securityerror"
    AUTHFAILURE = "authfailure"
    CONTENTERROR = "contenterror"
    NOTCOMPLIANTRFC = "notcompliantrfc"
    NORELAYING = "norelaying"
    NOTACCEPT = "notaccept"
    NETWORKERROR = "networkerror"
    EXPIRED = "expired"
    TOOMANYCONN = "toomanyconn"
    SPEEDING = "speeding"
    SYNTAXERROR = "syntaxerror"
    SYSTEMERROR = "systemerror"
    MAILERERROR = "mailererror"
    ONHOLD = "onhold"
    UNDEFINED = "undefined"
    FEEDBACK = "feedback"
    VACATION = "vacation"
    DELIVERED = "delivered"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientFailure:
    """One recipient a bounce reports on."""

    address: str
    action: Action
    status: str | None  # enhanced status code, "5.1.1"
    reply_code: str | None  # SMTP reply code, "550"
    reason: Reason
    hard: bool
    diagnostic: str
    remote_mta: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Original:
    """The bounced message as far as the bounce quotes it, and whether we really sent it."""

    message_id: str | None = None
    from_address: str | None = None  # bare address of From:
    return_path: str | None = None  # envelope sender if quoted (Return-Path, X-Envelope-From)
    to: str | None = None
    subject: str | None = None
    date: str | None = None
    ours: bool | None = None  # None: the bounce gives no evidence either way
    ours_evidence: str = ""  # one sentence: why ours/spoofed
    first_hop_ip: str | None = None  # where the original entered the Internet, if quoted
    dkim_domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What `parse(bytes)` finds in one message."""

    kind: Kind
    mta: str | None = None  # detector that decoded it: "postfix", "exchange", "rfc3464", ...
    reporting_mta: str | None = None
    recipients: tuple[RecipientFailure, ...] = ()
    original: Original | None = None
    cited_blocklists: tuple[str, ...] = ()
    message_id: str | None = None  # the bounce's own Message-ID
    date: datetime | None = None  # the bounce's own Date (aware, UTC) if readable
    subject: str | None = None
    truncated: bool = False  # the raw message was larger than the read cap
    error: str | None = None  # why the message could not be read at all (then kind is not_bounce)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ownership:
    """What tells our own mail from mail forged in our name ([monitor] settings)."""

    domains: tuple[str, ...] = ()
    sending_ips: tuple[str, ...] = ()
    sending_hosts: tuple[str, ...] = ()
    dkim_domains: tuple[str, ...] = ()  # defaults to `domains` when empty


# --------------------------------------------------------------------------- reputation


class ListingStatus(StrEnum):
    LISTED = "listed"
    NOT_LISTED = "not_listed"
    ERROR = "error"
    TIMEOUT = "timeout"


class Verdict(StrEnum):
    LISTED = "listed"
    CLEAN = "clean"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneResult:
    """One (target, zone) lookup, read with the zone's return-code table."""

    zone: str
    list: str  # human name: "Spamhaus ZEN"
    status: ListingStatus
    codes: tuple[str, ...] = ()
    meaning: str = ""
    txt: str = ""
    delist_url: str = ""
    informational: bool = False  # e.g. UCEPROTECT L2/L3: shown, never a verdict


@dataclass(frozen=True, slots=True, kw_only=True)
class IPCheck:
    ip: str
    sources: tuple[str, ...]  # "config", "spf", "mx", "a", "bounces"
    ptr: str | None = None
    results: tuple[ZoneResult, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Posture:
    """SPF and DMARC of a domain, with advice a postmaster can act on."""

    spf_record: str | None = None
    spf_valid: bool | None = None
    spf_all: str | None = None  # "-all", "~all", "?all", "+all"
    spf_lookups: int | None = None
    spf_error: str | None = None
    dmarc_record: str | None = None
    dmarc_policy: str | None = None  # none / quarantine / reject
    dmarc_subdomain_policy: str | None = None
    dmarc_rua: tuple[str, ...] = ()
    dmarc_error: str | None = None
    advice: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """What `/bouncecheck TARGET` and `bouncecheck check` answer."""

    target: str
    target_type: str  # "domain" | "ip"
    checked_at: datetime
    ips: tuple[IPCheck, ...] = ()
    domain_results: tuple[ZoneResult, ...] = ()
    broken_zones: tuple[str, ...] = ()
    posture: Posture | None = None
    verdict: Verdict = Verdict.UNKNOWN
    notes: tuple[str, ...] = ()  # e.g. "Spamhaus refused a public resolver: set a DQS key"


# --------------------------------------------------------------------------- incidents (monitor)


class IncidentState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Cause(StrEnum):
    BLACKLISTED = "blacklisted"
    BACKSCATTER = "backscatter"
    COMPROMISED_SENDER = "compromised_sender"
    BAD_RECIPIENTS = "bad_recipients"
    REMOTE_PROBLEM = "remote_problem"
    MIXED = "mixed"


class EventKind(StrEnum):
    OPENED = "opened"
    GREW = "grew"
    CAUSE_CHANGED = "cause_changed"
    LISTED = "listed"
    DELISTED = "delisted"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosis:
    """The likely cause, the numbers behind it, and what to do next."""

    cause: Cause
    evidence: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()


UNSAVED_ID = 0  # the id of an incident the state machine opened and the store has not saved yet


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    id: int
    domain: str
    state: IncidentState
    cause: Cause
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    bounces_in_window: int = 0
    threshold: int = 0
    peak: int = 0
    acknowledged_by: str | None = None
    snoozed_until: datetime | None = None
    resolved_by: str | None = None
    listings: tuple[str, ...] = ()  # "192.0.2.10@zen.spamhaus.org", "example.com@dbl.spamhaus.org"
    diagnosis: Diagnosis | None = None
    top_reasons: tuple[tuple[str, int], ...] = ()
    # Bookkeeping of the state machine (bot/monitor/incidents.py), stored so a restart changes nothing.
    acknowledged_at: datetime | None = None
    last_posted_count: int = 0  # the count the last opened/grew/cause_changed message showed
    last_posted_at: datetime | None = None  # when that message was made: the follow-up floor
    below_since: datetime | None = None  # first evaluation below threshold of the current quiet spell
    slack_channel: str | None = None  # where the Slack notifier posted the incident's card
    slack_ts: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentEvent:
    incident_id: int
    kind: EventKind
    at: datetime
    detail: str = ""  # what the message adds to its kind and data: first evidence line, top reasons
    actor: str | None = None  # Slack user for person-made events
    # opened: count, threshold, cause, listings · grew: previous, count · cause_changed: previous, cause ·
    # listed/delisted: listing ("192.0.2.10@zen.spamhaus.org") · snoozed: until (ISO) · resolved: by_person
    data: dict[str, object] = field(default_factory=dict)
