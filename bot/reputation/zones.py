"""The zones we query, built from the one blocklist catalogue (`bot.blocklists`), and how to read answers.

Read by `dnsbl.py` (to name queries and read answers) and by `check.py` (to build the queried
zones from `[dns]` settings). The lists themselves, their code tables and delist pages are
catalogue entries; facts and sources: shared/research/dnsbl-and-auth.md §2, §5.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace

# Code, Note, Reading and ZoneType live in the one blocklist catalogue; dnsbl.py, check.py and the
# Slack commands keep importing them from here.
from bot.blocklists import Blocklist, ListState, normalise, queried_by_default
from bot.blocklists import Code as Code
from bot.blocklists import Note as Note
from bot.blocklists import Reading as Reading
from bot.blocklists import ZoneType as ZoneType
from bot.config import DNSSettings, ZoneOverride
from bot.errors import ConfigError


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


def _queried(entry: Blocklist) -> Zone:
    return Zone(zone=entry.zone, name=entry.name, type=entry.type, operator=entry.operator, codes=entry.codes,
                bits=entry.bits, delist_url=entry.delist_url, dqs_zone=entry.dqs_zone,
                informational=entry.state is ListState.INFORMATIONAL)


# The zones queried unless `[dns]` says otherwise: the catalogue's active and informational lists.
CATALOGUE: tuple[Zone, ...] = tuple(_queried(entry) for entry in queried_by_default())

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
        name = normalise(override.zone)
        zones[name] = _apply(zones.get(name), override)
    disabled = {normalise(z) for z in dns.disable_zones}
    disabled |= {normalise(o.zone) for o in dns.zones if not o.enabled}
    return tuple(zone for name, zone in zones.items() if name not in disabled)


def _apply(base: Zone | None, override: ZoneOverride) -> Zone:
    """A built-in zone changed by the keys the user set, or a new zone from the user's table."""
    given = override.model_fields_set
    codes = tuple(_user_codes(override)) if "codes" in given else None
    if base is None:
        return Zone(
            zone=normalise(override.zone), name=override.name or override.zone, type=ZoneType(override.type),
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
