"""The catalogue as data: code tables, error answers, config overrides, DQS names (pure)."""

from __future__ import annotations

import pytest

from bot.blocklists import LISTS, ListState
from bot.config import DNSSettings
from bot.errors import ConfigError
from bot.reputation.zones import CATALOGUE, Note, Reading, Zone, ZoneType, build_catalogue, explain, read_code

ZONES = {zone.zone: zone for zone in CATALOGUE}
ZEN, DBL, URIBL, SURBL = (ZONES[z] for z in ("zen.spamhaus.org", "dbl.spamhaus.org", "multi.uribl.com",
                                             "multi.surbl.org"))
MAILSPIKE, SPAMCOP = ZONES["bl.mailspike.net"], ZONES["bl.spamcop.net"]


@pytest.mark.parametrize(("zone", "answer", "reading", "meaning"), [
    (ZEN, "127.0.0.2", Reading.LISTED, "SBL"),
    (ZEN, "127.0.0.3", Reading.LISTED, "CSS"),
    *((ZEN, f"127.0.0.{n}", Reading.LISTED, "XBL") for n in (4, 5, 6, 7)),
    (ZEN, "127.0.0.9", Reading.LISTED, "DROP"),
    (ZEN, "127.0.0.10", Reading.LISTED, "policy, not spam"),
    (ZEN, "127.0.0.11", Reading.LISTED, "PBL"),
    (ZEN, "127.0.0.30", Reading.LISTED, "BCL"),
    (ZEN, "127.255.255.252", Reading.ERROR, "typing error"),
    (ZEN, "127.255.255.254", Reading.ERROR, "public or unattributable resolver"),
    (ZEN, "127.255.255.255", Reading.ERROR, "excessive"),
    (ZEN, "127.255.1.1", Reading.ERROR, "not a listing"),
    (ZEN, "127.0.0.1", Reading.ERROR, "RFC 5782"),
    (ZEN, "10.0.0.2", Reading.ERROR, "outside 127.0.0.0/8"),
    (ZEN, "0.0.0.0", Reading.ERROR, "outside 127.0.0.0/8"),
    (ZEN, "::1", Reading.ERROR, "outside 127.0.0.0/8"),
    (DBL, "127.0.1.2", Reading.LISTED, "spam domain"),
    (DBL, "127.0.1.4", Reading.LISTED, "phishing"),
    (DBL, "127.0.1.102", Reading.LISTED, "abused legit"),
    (DBL, "127.0.1.255", Reading.ERROR, "asked about an IP"),
    (DBL, "127.255.255.254", Reading.ERROR, "public"),
    (URIBL, "127.0.0.1", Reading.ERROR, "refused"),
    (URIBL, "127.0.0.2", Reading.LISTED, "black"),
    (URIBL, "127.0.0.14", Reading.LISTED, "black: actively used in spam, grey: bulk mail sender domain, red"),
    (URIBL, "127.0.0.34", Reading.LISTED, "unknown bits 32"),
    (URIBL, "127.0.1.2", Reading.ERROR, "not a URIBL multi bitmask answer"),
    (SURBL, "127.0.0.1", Reading.ERROR, "refused"),
    (SURBL, "127.0.0.8", Reading.LISTED, "PH: phishing"),
    (SURBL, "127.0.0.80", Reading.LISTED, "MW: malware, ABUSE: spam and abuse"),
    (MAILSPIKE, "127.0.0.2", Reading.LISTED, "spam wave"),
    (MAILSPIKE, "127.0.0.10", Reading.LISTED, "L5"),
    (MAILSPIKE, "127.0.0.15", Reading.NOT_LISTED, "reputation level"),
    (MAILSPIKE, "127.0.0.20", Reading.NOT_LISTED, "reputation level"),
    (SPAMCOP, "127.0.0.2", Reading.LISTED, "spam source"),
    (SPAMCOP, "127.0.0.5", Reading.LISTED, "return code 127.0.0.5"),
], ids=lambda v: v.zone if isinstance(v, Zone) else str(v))
def test_read_code(zone: Zone, answer: str, reading: Reading, meaning: str) -> None:
    code = read_code(zone, answer)
    assert code.reading is reading
    assert meaning in code.meaning


def test_refusals_carry_notes() -> None:
    assert read_code(ZEN, "127.255.255.254").note is Note.SPAMHAUS_REFUSED
    assert read_code(URIBL, "127.0.0.1").note is Note.URIBL_REFUSED
    assert "spamhaus_dqs_key_env" in explain(Note.SPAMHAUS_REFUSED, ZEN)
    assert "zen.dq.spamhaus.net" in explain(Note.SPAMHAUS_REFUSED, ZEN)
    assert explain(Note.NONE, ZEN) == ""


def test_default_catalogue() -> None:
    assert [z.zone for z in CATALOGUE if z.type is ZoneType.IP] == [
        "zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net", "psbl.surriel.com", "bl.mailspike.net",
        "dnsbl-1.uceprotect.net", "dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net"]
    assert [z.zone for z in CATALOGUE if z.type is ZoneType.DOMAIN] == [
        "dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com"]
    assert [z.zone for z in CATALOGUE if z.informational] == ["dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net"]
    dead = ("sorbs", "ahbl", "njabl", "abuseat", "manitu", "msrbl")
    assert not [z.zone for z in CATALOGUE if any(d in z.zone for d in dead)]
    assert all(z.delist_url.startswith("https://") and z.name and z.operator for z in CATALOGUE)


# What build_catalogue(DNSSettings()) gave before the zones came from bot.blocklists, pinned:
# (zone, name, type, informational, DQS zone, delist page, number of codes, bits).
DEFAULT_QUERIED = [
    ("zen.spamhaus.org", "Spamhaus ZEN", "ip", False, "zen.dq.spamhaus.net", "https://check.spamhaus.org/", 10, 0),
    ("b.barracudacentral.org", "Barracuda BRBL", "ip", False, "",
     "https://www.barracudacentral.org/rbl/removal-request", 1, 0),
    ("bl.spamcop.net", "SpamCop", "ip", False, "", "https://www.spamcop.net/bl.shtml?{target}", 1, 0),
    ("psbl.surriel.com", "PSBL", "ip", False, "", "https://psbl.org/listing?ip={target}", 1, 0),
    ("bl.mailspike.net", "Mailspike", "ip", False, "", "https://mailspike.org/iplookup.html", 8, 0),
    ("dnsbl-1.uceprotect.net", "UCEPROTECT L1", "ip", False, "",
     "https://www.uceprotect.net/en/rblcheck.php?ipr={target}", 1, 0),
    ("dnsbl-2.uceprotect.net", "UCEPROTECT L2", "ip", True, "",
     "https://www.uceprotect.net/en/rblcheck.php?ipr={target}", 1, 0),
    ("dnsbl-3.uceprotect.net", "UCEPROTECT L3", "ip", True, "",
     "https://www.uceprotect.net/en/rblcheck.php?ipr={target}", 1, 0),
    ("dbl.spamhaus.org", "Spamhaus DBL", "domain", False, "dbl.dq.spamhaus.net", "https://check.spamhaus.org/", 14, 0),
    ("multi.surbl.org", "SURBL multi", "domain", False, "", "https://www.surbl.org/surbl-analysis", 1, 4),
    ("multi.uribl.com", "URIBL multi", "domain", False, "", "https://admin.uribl.com/", 1, 3),
]


def test_default_queried_set_is_pinned() -> None:
    built = build_catalogue(DNSSettings())
    assert built == CATALOGUE
    assert [(z.zone, z.name, z.type.value, z.informational, z.dqs_zone, z.delist_url, len(z.codes), len(z.bits))
            for z in built] == DEFAULT_QUERIED


def test_cited_only_and_retired_lists_are_never_queried_by_default() -> None:
    queried = {zone.zone for zone in build_catalogue(DNSSettings())}
    not_queried = [entry for entry in LISTS if not entry.state.queried]
    assert {ListState.KNOWN, ListState.RETIRED} == {entry.state for entry in not_queried}
    assert queried.isdisjoint(name for entry in not_queried for name in entry.names)
    # aliases are answered by their list's own zone: SBL by querying ZEN
    assert queried.isdisjoint(name for entry in LISTS for name in entry.aliases)


def test_catalogue_zones_read_the_catalogue_tables() -> None:
    entries = {entry.zone: entry for entry in LISTS}
    for zone in CATALOGUE:
        entry = entries[zone.zone]
        assert (zone.codes, zone.bits, zone.delist_url, zone.dqs_zone) == (
            entry.codes, entry.bits, entry.delist_url, entry.dqs_zone)
        assert zone.informational is (entry.state is ListState.INFORMATIONAL)


def test_dqs_names() -> None:
    assert ZEN.query_zone("abc123") == "abc123.zen.dq.spamhaus.net"
    assert DBL.query_zone("abc123") == "abc123.dbl.dq.spamhaus.net"
    assert ZEN.query_zone(None) == "zen.spamhaus.org"
    assert SPAMCOP.query_zone("abc123") == "bl.spamcop.net"


def test_delist_url_names_the_target() -> None:
    assert SPAMCOP.delist_for("192.0.2.1") == "https://www.spamcop.net/bl.shtml?192.0.2.1"


def _zones(**dns: object) -> dict[str, Zone]:
    return {z.zone: z for z in build_catalogue(DNSSettings.model_validate(dns))}


def test_disable_and_override() -> None:
    zones = _zones(disable_zones=["bl.spamcop.net", "MULTI.URIBL.COM."],
                   zones=[{"zone": "psbl.surriel.com", "enabled": False},
                          {"zone": "zen.spamhaus.org", "delist_url": "https://example.test/{target}",
                           "name": "ZEN (ours)"}])
    assert {"bl.spamcop.net", "multi.uribl.com", "psbl.surriel.com"}.isdisjoint(zones)
    assert zones["zen.spamhaus.org"].name == "ZEN (ours)"
    assert zones["zen.spamhaus.org"].delist_for("192.0.2.1") == "https://example.test/192.0.2.1"
    assert zones["zen.spamhaus.org"].codes == ZEN.codes
    assert zones["zen.spamhaus.org"].dqs_zone == ZEN.dqs_zone


def test_user_codes_keep_error_codes() -> None:
    zen = _zones(zones=[{"zone": "zen.spamhaus.org", "codes": {"127.0.0.2": "ours"}}])["zen.spamhaus.org"]
    assert read_code(zen, "127.0.0.2").meaning == "ours"
    assert read_code(zen, "127.255.255.254").reading is Reading.ERROR


def test_added_zone() -> None:
    zones = _zones(zones=[{"zone": "rbl.example.test", "name": "Ours", "type": "domain",
                           "codes": {"127.0.0.2": "bad"}, "informational": True}])
    added = zones["rbl.example.test"]
    assert (added.type, added.name, added.informational) == (ZoneType.DOMAIN, "Ours", True)
    assert read_code(added, "127.0.0.2").meaning == "bad"
    assert read_code(added, "127.0.0.3").reading is Reading.LISTED
    assert read_code(added, "127.0.0.1").reading is Reading.ERROR
    assert len(zones) == len(CATALOGUE) + 1


def test_bad_user_code() -> None:
    with pytest.raises(ConfigError, match=r"\[dns\] zones rbl.example.test: codes: 'x' is not"):
        _zones(zones=[{"zone": "rbl.example.test", "codes": {"x": "bad"}}])
