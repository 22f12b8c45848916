"""The frozen records every layer shares: parsed bounce reports, reputation results, incidents.

Each section is owned by the layer that produces it (bounces, reputation, monitor); the others read
it. Records are immutable and typed; JSON shapes are built from them in one place per command.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class OriginBasis(StrEnum):
    """What a bounce's ours / forged / unknown verdict rests on, for counting the unplaced by why."""

    RETURN_PATH = "return_path"  # ours: it came back to our BATV- or VERP-signed return path
    SENDING_IP = "sending_ip"  # ours: a Received hop is one of our servers (config, SPF, MX)
    SENDING_HOST = "sending_host"  # ours: a Received hop names one of our host names
    DKIM = "dkim"  # ours: signed with our DKIM d=
    MESSAGE_ID = "message_id"  # ours, weakly: the Message-ID host is ours and nothing says otherwise
    OUTSIDE_SERVERS = "outside_servers"  # forged: every public hop is outside our servers
    FOREIGN_DKIM = "foreign_dkim"  # forged: From is ours, the signature someone else's
    NO_ORIGINAL = "no_original"  # unknown: the bounce quotes none of the original's headers
    NO_SERVERS = "no_servers"  # unknown: our servers are not known (empty config, SPF not learned)
    NO_EVIDENCE = "no_evidence"  # unknown: headers quoted, but nothing in them decides


@dataclass(frozen=True, slots=True, kw_only=True)
class Original:
    """The bounced message as far as the bounce quotes it, and whether we really sent it."""

    message_id: str | None = None
    from_address: str | None = None  # bare address of From:
    return_path: str | None = None  # envelope sender if quoted (Return-Path, X-Envelope-From)
    to: str | None = None
    subject: str | None = None
    date: str | None = None
    ours: bool | None = None  # True ours, False forged (backscatter), None unknown
    ours_evidence: str = ""  # why ours / forged / unknown, the decisive signal first
    basis: OriginBasis = OriginBasis.NO_EVIDENCE
    first_hop_ip: str | None = None  # where the original entered the Internet, if quoted
    dkim_domains: tuple[str, ...] = ()
    # Names our own mail showed (its Message-ID host, the HELO of our hop, its DKIM d=): what the
    # scanner learns as ours, filled only when the verdict is ours on evidence stronger than these.
    our_names: tuple[KnownServer, ...] = ()


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
    truncated: bool = False  # something was cut: the message at the read cap, a part at its cap, recipients past 10,000
    error: str | None = None  # why the message could not be read at all (then kind is not_bounce)


class ServerKind(StrEnum):
    IP = "ip"
    NETWORK = "network"  # an SPF ip4/ip6 range or a configured network
    HOST = "host"  # a host name our mail leaves from (HELO, an MX or SPF a: name)
    MESSAGE_ID_HOST = "message_id_host"  # the right-hand side of our Message-IDs
    DKIM = "dkim"  # a DKIM d= domain that signs our mail


class ServerSource(StrEnum):
    CONFIG = "config"
    SPF = "spf"
    MX = "mx"
    A = "a"
    BOUNCES = "bounces"  # seen in bounces of our own mail
    LOGS = "logs"  # our MTA's log: the host names it runs as, the interfaces it sends from


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownServer:
    """One thing we know our mail leaves through, and where we learned it."""

    kind: ServerKind
    value: str
    source: ServerSource
    domain: str = ""  # the monitored domain it was learned for ("" for config)
    learned_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ownership:
    """What tells our own mail from mail forged in our name: [monitor] settings plus what was learned."""

    domains: tuple[str, ...] = ()
    sending_ips: tuple[str, ...] = ()  # addresses or networks ("192.0.2.0/24")
    sending_hosts: tuple[str, ...] = ()
    dkim_domains: tuple[str, ...] = ()  # besides `domains`
    message_id_hosts: tuple[str, ...] = ()  # learned from our own mail

    @property
    def servers_known(self) -> bool:
        """Whether a Received hop outside our servers says anything: we know at least one of them."""
        return bool(self.sending_ips or self.sending_hosts)


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
    # Why this result says nothing (timeout, SERVFAIL/refused, zone broken by its probe, resolver
    # at fault); empty when the zone answered.
    problem: str = ""


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
    # Why the record could not be looked up (SERVFAIL, a timeout, a resolver found at fault); empty
    # when a trustworthy resolver answered, so a missing record means none is published.
    spf_lookup_problem: str = ""
    dmarc_lookup_problem: str = ""


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
    servers: tuple[KnownServer, ...] = ()  # for a domain: what its mail leaves through, learned from DNS
    servers_answered: tuple[ServerSource, ...] = ()  # the DNS sources of `servers` whose lookups answered
    # Why the verdict is not certain, one sentence each (the resolver at fault, a failed lookup of the
    # domain, a list that did not answer, a target that is not public); check_target never leaves it
    # empty for an unknown verdict. Not stored: a check read back from the store has none.
    problems: tuple[str, ...] = ()
    not_public: tuple[tuple[str, str], ...] = ()  # (ip, what it is): never queried, no blocklist lists it


class BlacklistState(StrEnum):
    LISTED = "listed"
    NOT_LISTED = "not_listed"  # a recent check answered for every active list: the only ✅
    UNKNOWN = "unknown"  # a check failed, some lists did not answer, or the last clean check is stale
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlacklistStatus:
    """What we know of a domain's blacklist status, and why we cannot say more (bot/monitor/listings.py)."""

    state: BlacklistState
    why: str = ""  # for unknown / not checked: one sentence a postmaster can act on
    checked_at: datetime | None = None  # the check this rests on
    lists: int = 0  # distinct lists that answered in that check (informational ones included)


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
    UNKNOWN_ORIGIN = "unknown_origin"  # most bounces could not be placed as ours or forged
    MIXED = "mixed"


class IncidentKind(StrEnum):
    FLOOD = "flood"  # bounces reached the threshold
    LISTING = "listing"  # opened by a new blacklist listing while bounces were below the threshold


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
    listings: tuple[Listing, ...] = ()  # what the incident knows to be listed now
    diagnosis: Diagnosis | None = None
    top_reasons: tuple[tuple[str, int], ...] = ()
    # Bookkeeping of the state machine (bot/monitor/incidents.py), stored so a restart changes nothing.
    acknowledged_at: datetime | None = None
    last_posted_count: int = 0  # the count the last opened/grew/cause_changed message showed
    last_posted_at: datetime | None = None  # when that message was made: the follow-up floor
    below_since: datetime | None = None  # first evaluation below threshold of the current quiet spell
    kind: IncidentKind = IncidentKind.FLOOD  # a listing incident becomes a flood when bounces reach the threshold
    blacklist: BlacklistStatus | None = None  # as of the last evaluation; None: never evaluated with one
    cited: tuple[tuple[str, int], ...] = ()  # blocklists the window's bounces cite → bounces citing each
    resolution: ResolutionOutcome | None = None  # what the person who resolved it chose
    resolution_note: str = ""  # and wrote
    volume: SentVolume | None = None  # the bounce rate as of the last evaluation; None: judged by count
    volume_note: str = ""  # why there is no rate although the domain has a volume source


# --------------------------------------------------------------------------- what an incident says happened


@dataclass(frozen=True, slots=True, kw_only=True)
class SentVolume:
    """A domain's bounce rate over the window: our own bounces as a share of the mail we sent.

    Bounces of mail we did not send (backscatter) or could not place are `other`: never in the rate,
    stated beside it; a flood of them is judged by the count threshold, the rate by `alert_rate`.
    """

    sent: int  # messages we sent in the window, by the domain's volume sources
    own: int  # failed bounces of our own mail in the window
    other: int  # the window's other failed bounces: backscatter, unknown origin
    alert_rate: float  # the share that opens an incident (0.05: 5 %)
    min_sent: int  # below this many sent no rate is judged (3 bounces of 10 sent is no signal)
    sources: tuple[str, ...] = ()  # the [[volume]] names the count came from
    # the busiest senders: (address, messages since `senders_since`, their usual for as long a span over
    # the day before); senders are counted in clock hours, so their span starts on the hour
    top_senders: tuple[tuple[str, int, float], ...] = ()
    senders_since: datetime | None = None

    @property
    def rate(self) -> float | None:
        return self.own / self.sent if self.sent else None

    @property
    def judged(self) -> bool:
        return self.sent >= self.min_sent

    @property
    def rate_alerting(self) -> bool:
        return self.judged and self.rate is not None and self.rate >= self.alert_rate

    def alerting(self, count: int, threshold: int) -> bool:
        """The one rule every surface applies to a domain with a rate (`count`: all its failed bounces
        in the window). Judged: our own mail by the rate, the rest (backscatter) by the count. Not
        judged (too few or nothing sent): everything by the count, so our own bounces never go mute
        because a source counted little."""
        if not self.judged:
            return count >= threshold > 0
        return self.rate_alerting or self.other >= threshold > 0


def alerting(count: int, threshold: int, volume: SentVolume | None) -> bool:
    """Whether a domain's window opens an incident: by count, or with a rate as `SentVolume.alerting`."""
    return volume.alerting(count, threshold) if volume is not None else count >= threshold > 0


class ResolutionOutcome(StrEnum):
    """What the person resolving an incident says of the cause the bot named."""

    CONFIRMED = "confirmed"  # the likely cause was the cause
    OTHER_CAUSE = "other_cause"
    FALSE_ALARM = "false_alarm"


@dataclass(frozen=True, slots=True, order=True)
class Listing:
    """A target (an IP, or the domain) listed on a blocklist zone."""

    target: str
    zone: str

    @property
    def key(self) -> str:
        """"192.0.2.10@zen.spamhaus.org": how the store keeps it."""
        return f"{self.target}@{self.zone}"

    @classmethod
    def from_key(cls, key: str) -> Listing:
        target, sep, zone = key.rpartition("@")
        if not sep or not target or not zone:
            raise ValueError(f"not a listing key: {key!r}")
        return cls(target=target, zone=zone)

    def __str__(self) -> str:
        return f"{self.target} on {self.zone}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    count: int
    threshold: int
    cause: Cause
    listings: tuple[Listing, ...] = ()
    incident_kind: IncidentKind = IncidentKind.FLOOD
    volume: SentVolume | None = None  # the rate it opened at, where the domain has a volume source


@dataclass(frozen=True, slots=True, kw_only=True)
class Grew:
    previous: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BecameFlood:
    """A listing incident whose bounces reached the threshold (stored as a "grew" with `flood`)."""

    previous: int
    count: int
    threshold: int
    cause: Cause
    previous_cause: Cause


@dataclass(frozen=True, slots=True, kw_only=True)
class CauseChanged:
    previous: Cause
    cause: Cause


@dataclass(frozen=True, slots=True, kw_only=True)
class Listed:
    listing: Listing


@dataclass(frozen=True, slots=True, kw_only=True)
class Delisted:
    listing: Listing


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledged:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Snoozed:
    until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    by_person: bool
    outcome: ResolutionOutcome | None = None  # a person's resolve, from the Resolve dialog
    note: str = ""


# What happened, one type per kind: renderers `match` on it, and mypy sees a kind left out.
EventData = Opened | Grew | BecameFlood | CauseChanged | Listed | Delisted | Acknowledged | Snoozed | Resolved

EVENT_KIND: dict[type[EventData], EventKind] = {
    Opened: EventKind.OPENED, Grew: EventKind.GREW, BecameFlood: EventKind.GREW,
    CauseChanged: EventKind.CAUSE_CHANGED, Listed: EventKind.LISTED, Delisted: EventKind.DELISTED,
    Acknowledged: EventKind.ACKNOWLEDGED, Snoozed: EventKind.SNOOZED, Resolved: EventKind.RESOLVED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentEvent:
    incident_id: int
    at: datetime
    data: EventData
    detail: str = ""  # what the message adds to its kind and data: first evidence line, top reasons
    actor: str | None = None  # Slack user for person-made events

    @property
    def kind(self) -> EventKind:
        return EVENT_KIND[type(self.data)]
