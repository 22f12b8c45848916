"""describe() and delist_url(): any cited or queried zone name → its list, state and delist page."""

from __future__ import annotations

import pytest

from bot.blocklists import ListState, ZoneType, delist_url, describe, queried_by_default
from bot.bounces.blocklists import cited_blocklists


@pytest.mark.parametrize(("cited", "list_zone", "name", "state"), [
    ("zen.spamhaus.org", "zen.spamhaus.org", "Spamhaus ZEN", ListState.ACTIVE),
    ("sbl.spamhaus.org", "zen.spamhaus.org", "Spamhaus ZEN", ListState.ACTIVE),  # a part of ZEN
    ("SBL-XBL.Spamhaus.org.", "zen.spamhaus.org", "Spamhaus ZEN", ListState.ACTIVE),
    ("testdqskey0.zen.dq.spamhaus.net", "zen.spamhaus.org", "Spamhaus ZEN", ListState.ACTIVE),  # DQS name
    ("bb.barracudacentral.org", "b.barracudacentral.org", "Barracuda BRBL", ListState.ACTIVE),
    ("black.uribl.com", "multi.uribl.com", "URIBL multi", ListState.ACTIVE),
    ("dnsbl-3.uceprotect.net", "dnsbl-3.uceprotect.net", "UCEPROTECT L3", ListState.INFORMATIONAL),
    ("noptr.spamrats.com", "spam.spamrats.com", "SpamRATS", ListState.KNOWN),
    ("cbl.abuseat.org", "cbl.abuseat.org", "CBL", ListState.RETIRED),
    ("spam.dnsbl.sorbs.net", "dnsbl.sorbs.net", "SORBS", ListState.RETIRED),
    ("dul.dnsbl.sorbs.net", "dnsbl.sorbs.net", "SORBS", ListState.RETIRED),  # a name under a known zone
], ids=lambda v: str(v))
def test_describe_resolves_aliases(cited: str, list_zone: str, name: str, state: ListState) -> None:
    info = describe(cited)
    assert info is not None
    assert (info.zone, info.list_zone, info.name, info.state) == (cited.lower().rstrip("."), list_zone, name, state)
    assert info.queried is state.queried
    assert info.retired is (state is ListState.RETIRED)


@pytest.mark.parametrize("zone", ["rbl.example.net", "spamhaus.org", "dq.spamhaus.net", ""])
def test_unknown_zones(zone: str) -> None:
    assert describe(zone) is None
    assert delist_url(zone, "192.0.2.1") == ""


def test_delist_urls() -> None:
    assert delist_url("bl.spamcop.net", "192.0.2.1") == "https://www.spamcop.net/bl.shtml?192.0.2.1"
    assert delist_url("sbl.spamhaus.org", "192.0.2.1") == "https://check.spamhaus.org/"
    assert delist_url("dyna.spamrats.com", "192.0.2.1") == "https://www.spamrats.com/lookup.php?ip=192.0.2.1"
    assert delist_url("ix.dnsbl.manitu.net") == "https://www.dnsbl.manitu.net/lookup.php?value="  # no target


def test_cited_retired_list_reads_as_retired_with_its_successor() -> None:
    cited = cited_blocklists(["550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
                              "cbl.abuseat.org; see http://cbl.abuseat.org/lookup.cgi?ip=192.0.2.1"])
    assert cited == ("cbl.abuseat.org",)
    info = describe(cited[0])
    assert info is not None and info.retired and not info.queried
    assert info.type is ZoneType.IP
    assert info.replaced_by == "zen.spamhaus.org"
    assert info.delist_for("192.0.2.1") == "https://check.spamhaus.org/"


def test_queried_by_default_is_active_and_informational_only() -> None:
    assert {entry.state for entry in queried_by_default()} == {ListState.ACTIVE, ListState.INFORMATIONAL}
    assert len(queried_by_default()) == 11
