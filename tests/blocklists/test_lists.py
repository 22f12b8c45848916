"""Every catalogue entry is well-formed: unique names, https delist pages, code tables that parse."""

from __future__ import annotations

import ipaddress
import re

import pytest

from bot.blocklists import LISTS, Blocklist, ListState, Reading, find

_HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def _all_names(entry: Blocklist) -> tuple[str, ...]:
    return (*entry.names, *((entry.dqs_zone,) if entry.dqs_zone else ()))


@pytest.mark.parametrize("entry", LISTS, ids=lambda entry: entry.zone)
def test_entry_is_well_formed(entry: Blocklist) -> None:
    assert entry.name and entry.operator
    assert all(_HOSTNAME.match(name) for name in _all_names(entry)), _all_names(entry)
    assert entry.delist_url.startswith("https://")
    assert "{" not in entry.delist_url.replace("{target}", "")
    for code in entry.codes:
        assert ipaddress.IPv4Network(code.match).subnet_of(_LOOPBACK), code
        assert code.meaning
    for bit, meaning in entry.bits:
        assert 1 < bit < 256 and bit & (bit - 1) == 0 and meaning
    for url in entry.lookup_urls:
        re.compile(url.pattern)
        assert url.cites in ("", *entry.names)
    for pattern in entry.named_by:
        re.compile(pattern)


@pytest.mark.parametrize("entry", [e for e in LISTS if e.state.queried], ids=lambda entry: entry.zone)
def test_queried_lists_can_read_their_answers(entry: Blocklist) -> None:
    assert entry.codes or entry.bits
    readings = [code.reading for code in entry.codes]
    # errors come first, so a refusal inside a listing range (Spamhaus 127.255/16) is never a listing
    assert readings == sorted(readings, key=lambda reading: reading is not Reading.ERROR)


def test_names_are_unique_across_lists_and_aliases() -> None:
    names = [name for entry in LISTS for name in _all_names(entry)]
    assert len(names) == len(set(names))
    # no list's name lies under another's, so a name under one ("dul.dnsbl.sorbs.net") has one list
    for entry in LISTS:
        others = {name for other in LISTS if other is not entry for name in _all_names(other)}
        assert not [(name, o) for name in _all_names(entry) for o in others if name.endswith("." + o)]
        assert all(find(name) is entry for name in _all_names(entry))


def test_states() -> None:
    by_state = {state: {e.zone for e in LISTS if e.state is state} for state in ListState}
    assert by_state[ListState.INFORMATIONAL] == {"dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net"}
    assert by_state[ListState.RETIRED] == {"cbl.abuseat.org", "dnsbl.sorbs.net", "ix.dnsbl.manitu.net",
                                           "dnsbl.inps.de"}
    for entry in LISTS:
        if entry.replaced_by:
            assert entry.state is ListState.RETIRED
            successor = find(entry.replaced_by)
            assert successor is not None and successor.state is ListState.ACTIVE
