"""The catalogue of blacklists as data: what each return code means, which answers are errors.

Read by `dnsbl.py` (to name queries and read answers) and by `check.py` (to build the catalogue
from `[dns]` settings). Facts and sources: shared/research/dnsbl-and-auth.md §2, §5.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.config import DNSSettings, ZoneOverride
from bot.errors import ConfigError


class ZoneType(StrEnum):
    IP = "ip"
    DOMAIN = "domain"


class Reading(StrEnum):
    """What one A answer from a zone says."""

    LISTED = "listed"
    NOT_LISTED = "not_listed"  # an answer that is information, not a block (Mailspike reputation)
    ERROR = "error"  # a refusal or a misbehaving resolver: never a listing, never clean


class Note(StrEnum):
    """Why an error answer happened, keyed to the advice `explain()` gives."""

    NONE = ""
    SPAMHAUS_REFUSED = "spamhaus_refused"
    SPAMHAUS_LIMIT = "spamhaus_limit"
    URIBL_REFUSED = "uribl_refused"
    REWRITTEN = "rewritten"


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    """An answer, or a range of answers (CIDR), and what it means."""

    match: str  # "127.0.0.2" or "127.0.0.4/30"
    reading: Reading
    meaning: str
    note: Note = Note.NONE

    def matches(self, answer: ipaddress.IPv4Address) -> bool:
        return answer in ipaddress.IPv4Network(self.match)


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    zone: str  # the public zone name, the one we report: "zen.spamhaus.org"
    name: str  # "Spamhaus ZEN"
    type: ZoneType
    operator: str = ""
    codes: tuple[Code, ...] = ()  # read first, in order; errors listed before listings
    bits: tuple[tuple[int, str], ...] = ()  # bitmask lists (SURBL, URIBL): last octet bit → meaning
    delist_url: str = ""  # "{target}" is replaced by the IP or domain
    fetch_txt: bool = True
    informational: bool = False  # shown, never part of the verdict (UCEPROTECT L2/L3)
    dqs_zone: str = ""  # Spamhaus DQS zone: queried as <key>.<dqs_zone> when a key is set
    listed_probe: str = ""  # RFC 5782 §5 test entries; defaults by type (see probe names below)

    def query_zone(self, dqs_key: str | None) -> str:
        """The zone actually queried; the DQS key never appears in what we report."""
        return f"{dqs_key}.{self.dqs_zone}" if dqs_key and self.dqs_zone else self.zone

    def delist_for(self, target: str) -> str:
        return self.delist_url.replace("{target}", target)


# Spamhaus answers 127.255.255.x for errors, never for listings (research §2, pydnsbl#27).
_SPAMHAUS_ERRORS = (
    Code(match="127.255.255.252", reading=Reading.ERROR, meaning="query name typing error (Spamhaus)"),
    Code(match="127.255.255.254", reading=Reading.ERROR, note=Note.SPAMHAUS_REFUSED,
         meaning="refused: query came through a public or unattributable resolver"),
    Code(match="127.255.255.255", reading=Reading.ERROR, note=Note.SPAMHAUS_LIMIT,
         meaning="refused: excessive number of queries"),
    Code(match="127.255.0.0/16", reading=Reading.ERROR, meaning="Spamhaus error code (not a listing)"),
)

_MAILSPIKE_REPUTATION = "Mailspike reputation level, not a block"

CATALOGUE: tuple[Zone, ...] = (
    Zone(
        zone="zen.spamhaus.org", name="Spamhaus ZEN", type=ZoneType.IP, operator="Spamhaus",
        dqs_zone="zen.dq.spamhaus.net", delist_url="https://check.spamhaus.org/",
        codes=(
            *_SPAMHAUS_ERRORS,
            Code(match="127.0.0.2", reading=Reading.LISTED, meaning="SBL: known spam source or operation"),
            Code(match="127.0.0.3", reading=Reading.LISTED, meaning="CSS: snowshoe / low-reputation sending"),
            Code(match="127.0.0.4/30", reading=Reading.LISTED,
                 meaning="XBL: compromised host (botnet, exploit, open proxy)"),
            Code(match="127.0.0.9", reading=Reading.LISTED, meaning="DROP: hijacked or criminal netblock"),
            Code(match="127.0.0.10/31", reading=Reading.LISTED,
                 meaning="PBL: end-user range that should not send direct to MX (policy, not spam)"),
            Code(match="127.0.0.30", reading=Reading.LISTED, meaning="BCL: botnet controller"),
        ),
    ),
    Zone(
        zone="b.barracudacentral.org", name="Barracuda BRBL", type=ZoneType.IP, operator="Barracuda Networks",
        delist_url="https://www.barracudacentral.org/rbl/removal-request",
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED, meaning="listed in Barracuda Reputation Block List"),),
    ),
    Zone(
        zone="bl.spamcop.net", name="SpamCop", type=ZoneType.IP, operator="Cisco / SpamCop",
        delist_url="https://www.spamcop.net/bl.shtml?{target}",
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="reported as a spam source (expires on its own)"),),
    ),
    Zone(
        zone="psbl.surriel.com", name="PSBL", type=ZoneType.IP, operator="PSBL (Rik van Riel)",
        delist_url="https://psbl.org/listing?ip={target}",
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="sent mail to spam traps (self-service removal)"),),
    ),
    Zone(
        zone="bl.mailspike.net", name="Mailspike", type=ZoneType.IP, operator="Mailspike",
        delist_url="https://mailspike.org/iplookup.html",
        codes=(
            Code(match="127.0.0.2", reading=Reading.LISTED, meaning="part of a current spam wave"),
            Code(match="127.0.0.10", reading=Reading.LISTED, meaning="worst reputation (L5)"),
            Code(match="127.0.0.11", reading=Reading.LISTED, meaning="very bad reputation (L4)"),
            Code(match="127.0.0.12", reading=Reading.LISTED, meaning="bad reputation (L3)"),
            Code(match="127.0.0.13/32", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
            Code(match="127.0.0.14/31", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
            Code(match="127.0.0.16/30", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
            Code(match="127.0.0.20", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
        ),
    ),
    Zone(
        zone="dnsbl-1.uceprotect.net", name="UCEPROTECT L1", type=ZoneType.IP, operator="UCEPROTECT",
        delist_url="https://www.uceprotect.net/en/rblcheck.php?ipr={target}",
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED, meaning="this IP sent spam to UCEPROTECT traps"),),
    ),
    Zone(
        zone="dnsbl-2.uceprotect.net", name="UCEPROTECT L2", type=ZoneType.IP, operator="UCEPROTECT",
        informational=True, delist_url="https://www.uceprotect.net/en/rblcheck.php?ipr={target}",
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="neighbourhood: your provider's range is listed, not this IP (information only)"),),
    ),
    Zone(
        zone="dnsbl-3.uceprotect.net", name="UCEPROTECT L3", type=ZoneType.IP, operator="UCEPROTECT",
        informational=True, delist_url="https://www.uceprotect.net/en/rblcheck.php?ipr={target}",
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="neighbourhood: your provider's whole network (ASN) is listed (information only)"),),
    ),
    Zone(
        zone="dbl.spamhaus.org", name="Spamhaus DBL", type=ZoneType.DOMAIN, operator="Spamhaus",
        dqs_zone="dbl.dq.spamhaus.net", delist_url="https://check.spamhaus.org/",
        codes=(
            *_SPAMHAUS_ERRORS,
            # haraka-plugin-uribl#2, adionditsak#2: 127.0.1.255 means "you asked about an IP".
            Code(match="127.0.1.255", reading=Reading.ERROR, meaning="DBL was asked about an IP address"),
            Code(match="127.0.1.2", reading=Reading.LISTED, meaning="spam domain"),
            Code(match="127.0.1.4", reading=Reading.LISTED, meaning="phishing domain"),
            Code(match="127.0.1.5", reading=Reading.LISTED, meaning="malware domain"),
            Code(match="127.0.1.6", reading=Reading.LISTED, meaning="botnet C&C domain"),
            Code(match="127.0.1.102", reading=Reading.LISTED, meaning="abused legit domain: spam"),
            Code(match="127.0.1.103", reading=Reading.LISTED, meaning="abused legit domain: spammed redirector"),
            Code(match="127.0.1.104", reading=Reading.LISTED, meaning="abused legit domain: phishing"),
            Code(match="127.0.1.105", reading=Reading.LISTED, meaning="abused legit domain: malware"),
            Code(match="127.0.1.106", reading=Reading.LISTED, meaning="abused legit domain: botnet C&C"),
        ),
    ),
    Zone(
        zone="multi.surbl.org", name="SURBL multi", type=ZoneType.DOMAIN, operator="SURBL",
        delist_url="https://www.surbl.org/surbl-analysis",
        codes=(Code(match="127.0.0.1", reading=Reading.ERROR, meaning="refused or unused bit 1 (not a listing)"),),
        bits=((8, "PH: phishing"), (16, "MW: malware"), (64, "ABUSE: spam and abuse"), (128, "CR: cracked sites")),
    ),
    Zone(
        zone="multi.uribl.com", name="URIBL multi", type=ZoneType.DOMAIN, operator="URIBL",
        delist_url="https://admin.uribl.com/",
        # uribl.com/refused.shtml: 127.0.0.1 is "query refused", sent to big shared resolvers.
        codes=(Code(match="127.0.0.1", reading=Reading.ERROR, note=Note.URIBL_REFUSED,
                    meaning="refused: resolver is public, shared or over the volume limit"),),
        bits=((2, "black: actively used in spam"), (4, "grey: bulk mail sender domain"),
              (8, "red: seen in spam, under review")),
    ),
)

# Every zone, whatever its table says: RFC 5782 answers live in 127.0.0.0/8, and 127.0.0.1 is the
# "not listed" probe address, so an answer of 127.0.0.1 or outside 127/8 is never a listing
# (mailcow-logs-viewer#102: ISP NXDOMAIN rewriting, Pi-hole answering 0.0.0.0 or 127.0.0.1).
_UNIVERSAL = (
    Code(match="127.0.0.1", reading=Reading.ERROR, note=Note.REWRITTEN,
         meaning="127.0.0.1 is not a listing code (RFC 5782): a refusal or a DNS blocker"),
)

PROBE_LISTED = {ZoneType.IP: "127.0.0.2", ZoneType.DOMAIN: "test"}
PROBE_UNLISTED = {ZoneType.IP: "127.0.0.1", ZoneType.DOMAIN: "invalid"}
PROBE_WILDCARD_LABEL = "bouncecheck-probe-never-listed"  # plus a random suffix per probe


def listed_probe(zone: Zone) -> str:
    return zone.listed_probe or PROBE_LISTED[zone.type]


def read_code(zone: Zone, answer: str) -> Code:
    """What one A answer means in this zone (pure)."""
    try:
        address = ipaddress.ip_address(answer)
    except ValueError:
        address = None
    if not isinstance(address, ipaddress.IPv4Address) or address not in _LOOPBACK_NET:
        return Code(match=answer, reading=Reading.ERROR, note=Note.REWRITTEN,
                    meaning=f"answer {answer} is outside 127.0.0.0/8: the resolver rewrote it")
    for code in (*zone.codes, *_UNIVERSAL):
        if code.matches(address):
            return code
    if zone.bits:
        return _read_bits(zone, address)
    return Code(match=answer, reading=Reading.LISTED, meaning=f"listed (return code {answer})")


_LOOPBACK_NET = ipaddress.IPv4Network("127.0.0.0/8")


def _read_bits(zone: Zone, address: ipaddress.IPv4Address) -> Code:
    if address not in ipaddress.IPv4Network("127.0.0.0/24"):
        return Code(match=str(address), reading=Reading.ERROR,
                    meaning=f"answer {address} is not a {zone.name} bitmask answer")
    value = int(address) & 0xFF
    named = [meaning for bit, meaning in zone.bits if value & bit]
    unknown = value & ~sum(bit for bit, _ in zone.bits)
    if unknown:
        named.append(f"unknown bits {unknown}")
    return Code(match=str(address), reading=Reading.LISTED, meaning=", ".join(named))


def explain(note: Note, zone: Zone) -> str:
    """The one-line fix a postmaster needs after an error answer; empty when there is none."""
    match note:
        case Note.SPAMHAUS_REFUSED:
            return (f"{zone.name} refused our resolver (127.255.255.254: public or unattributable resolver). "
                    "Fix: get a free Spamhaus DQS key and name its environment variable in "
                    "[dns] spamhaus_dqs_key_env (queries then go to <key>." + (zone.dqs_zone or zone.zone)
                    + "), or point [dns] nameservers at your own recursive resolver.")
        case Note.SPAMHAUS_LIMIT:
            return (f"{zone.name} says we sent too many queries (127.255.255.255): use a Spamhaus DQS key "
                    "([dns] spamhaus_dqs_key_env) or your own resolver.")
        case Note.URIBL_REFUSED:
            return (f"{zone.name} refused our resolver (127.0.0.1): it is public, shared or over volume. "
                    "Fix: run your own caching resolver and list it in [dns] nameservers.")
        case Note.REWRITTEN:
            return (f"{zone.name}: the resolver returned an answer that no blacklist sends; it may rewrite "
                    "NXDOMAIN or filter DNS. Point [dns] nameservers at a plain recursive resolver.")
        case _:
            return ""


def build_catalogue(dns: DNSSettings) -> tuple[Zone, ...]:
    """The built-in zones with `[dns] zones` overrides and additions applied, minus disabled ones."""
    zones = {zone.zone: zone for zone in CATALOGUE}
    for override in dns.zones:
        name = _zone_name(override.zone)
        zones[name] = _apply(zones.get(name), override)
    disabled = {_zone_name(z) for z in dns.disable_zones}
    disabled |= {_zone_name(o.zone) for o in dns.zones if not o.enabled}
    return tuple(zone for name, zone in zones.items() if name not in disabled)


def _zone_name(text: str) -> str:
    return text.strip().lower().rstrip(".")


def _apply(base: Zone | None, override: ZoneOverride) -> Zone:
    """A built-in zone changed by the keys the user set, or a new zone from the user's table."""
    given = override.model_fields_set
    codes = tuple(_user_codes(override)) if "codes" in given else None
    if base is None:
        return Zone(
            zone=_zone_name(override.zone), name=override.name or override.zone, type=ZoneType(override.type),
            informational=override.informational, delist_url=override.delist_url, codes=codes or (),
        )
    changes: dict[str, object] = {}
    if "name" in given and override.name:
        changes["name"] = override.name
    if "informational" in given:
        changes["informational"] = override.informational
    if "delist_url" in given:
        changes["delist_url"] = override.delist_url
    if codes is not None:
        # Keep the zone's error codes: a user table of listings must not turn refusals into listings.
        changes["codes"] = (*(c for c in base.codes if c.reading is Reading.ERROR), *codes)
    if "type" in given:
        changes["type"] = ZoneType(override.type)
    return replace(base, **changes)  # type: ignore[arg-type]


def _user_codes(override: ZoneOverride) -> Iterable[Code]:
    for answer, meaning in override.codes.items():
        try:
            ipaddress.IPv4Network(answer)
        except ValueError:
            raise ConfigError(f"[dns] zones {override.zone}: codes: {answer!r} is not an IPv4 address "
                              "or network") from None
        yield Code(match=answer, reading=Reading.LISTED, meaning=meaning)
