"""Was the bounced original ours, forged in our name (backscatter), or unknown? Called by `parse`.

Ours, strongest signal first: it came back to our BATV- or VERP-signed return path; a Received
hop is one of our servers (`[monitor] sending_ips`, or what was learned from SPF and MX) or names
one of our hosts; it carries our DKIM `d=`; its Message-ID host is ours (weak). Forged: every public
hop is outside our servers, or its From is ours and its signature someone else's; a foreign
Message-ID host and a missing DKIM signature of ours are told as well. Unknown when the bounce quotes
no headers, when we know none of our servers, or when nothing quoted decides: never counted as ours.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

from bot.bounces.message import Headers, MessageView, first_address
from bot.config import MonitorSettings
from bot.models import KnownServer, Original, OriginBasis, Ownership, ServerKind, ServerSource

# "from mail.example.com (mail.example.com [192.0.2.10])", "from [198.51.100.7] (helo=x)"
_RECEIVED_FROM = re.compile(r"^\s*from\s+(\S+)(.*?)(?:\bby\b|$)", re.IGNORECASE | re.DOTALL)
# "... by mx1.example.com (Postfix) with ESMTP id ..."
_RECEIVED_BY = re.compile(r"\bby\s+([a-z0-9][a-z0-9.-]*[a-z0-9])", re.IGNORECASE)
_IP_IN_BRACKETS = re.compile(r"[\[(]\s*(?:IPv6:)?([0-9a-fA-F:.]{3,45})\s*[\])]")
_BARE_IPV4 = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3})\b")
# Dotted names: labels of letters and digits joined by hyphens, what [a-z0-9](?:[a-z0-9-]*[a-z0-9])?
# per label says, written not to start inside a word nor to backtrack: that form was retried from
# each letter of a word ("(using TLSv1 with cipher ...)"), so a hostile 8 KB one took a second.
# Only ever `fullmatch`ed (one attempt, linear): searched, it is still retried from each label of a
# hyphenated run with no dot after it ("a-a-a-...": 0.4 s on 12 KB). `_host_names` searches.
_HOST_NAME = re.compile(r"(?<![a-z0-9])[a-z0-9]++(?:-++[a-z0-9]++)*+(?:\.[a-z0-9]++(?:-++[a-z0-9]++)*+)++")
# The names `_HOST_NAME` finds in a text, in one pass: where no name starts at the first letter of
# a run of letters, digits and hyphens, none starts later in that run (the one found there would
# have run on from the first letter), so the run is taken whole, as an empty group, and skipped.
_HOST_NAMES = re.compile(r"(?<![a-z0-9])(?:([a-z0-9]++(?:-++[a-z0-9]++)*+(?:\.[a-z0-9]++(?:-++[a-z0-9]++)*+)++)"
                         r"|[a-z0-9][a-z0-9-]*+)")
_DKIM_DOMAIN = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)
# BATV "prvs=0123456789=user@example.com" / "btv1==...==user@example.com"
_BATV = re.compile(r"^(?:prvs|msprvs\d*|btv1)=[^@]*=", re.IGNORECASE)
# VERP "bounces+user=example.org@example.com", "bounce-123-user=example.org@example.com"
# What ^[^@=+]*[+-][^@]*=[^@]+@ says, without trying each "-" against each "=" after it (0.1 s on a
# 20 KB "a-a-a-..."): the first "+" or "-" and the first "=" after it decide.
_VERP = re.compile(r"^[^@=+-]*+[+-][^@=]*+=[^@]++@", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hop:
    """One Received header: who handed the message on (HELO and its public IP) and who took it."""

    helo: str | None
    ip: str | None  # the client's public IP, if the header names one
    by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chain:
    """What the original's Received headers say about its path."""

    public_ips: tuple[str, ...]  # client IPs of the hops, earliest first, public addresses only
    hosts: tuple[str, ...]  # host names the hops name (HELO and reverse DNS), lower case
    hops: tuple[Hop, ...] = ()  # earliest first


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    ours: bool | None
    basis: OriginBasis
    evidence: str
    learned: tuple[KnownServer, ...] = ()  # names of ours this mail shows, when `ours` rests on stronger ones


def ownership_from(monitor: MonitorSettings) -> Ownership:
    """What `[monitor]` alone says our mail is (the scanner adds what the store learned)."""
    return Ownership(domains=monitor.domains, sending_ips=monitor.sending_ips, sending_hosts=monitor.sending_hosts,
                     dkim_domains=monitor.dkim_domains)


def describe_original(message: MessageView, headers: Headers | None, ownership: Ownership) -> Original:
    """The original as the bounce quotes it, with the ours / forged / unknown verdict and why.

    A bounce that quotes no headers still has an original: the address it came back to is the
    original's envelope sender, which says which of our domains it counts for.
    """
    envelope_to = _bounce_recipients(message)
    if headers is None or not headers:
        verdict = _return_path_verdict(envelope_to, ownership) or Verdict(
            ours=None, basis=OriginBasis.NO_ORIGINAL, evidence="the bounce quotes none of the original's headers")
        return Original(return_path=envelope_to[0] if envelope_to else None, ours=verdict.ours,
                        ours_evidence=verdict.evidence, basis=verdict.basis)
    chain = received_chain(headers)
    dkim = tuple(dict.fromkeys(d for sig in headers.get_all("dkim-signature") for d in _dkim_domains(sig)))
    from_address = first_address(headers.get("from")) or None
    return_path = first_address(headers.get("return-path") or headers.get("x-envelope-from")) or None
    message_id = headers.get("message-id") or None
    verdict = judge(chain=chain, dkim=dkim, message_id=message_id, from_address=from_address,
                    envelope_to=envelope_to, ownership=ownership)
    return Original(
        message_id=message_id,
        from_address=from_address,
        return_path=return_path or (envelope_to[0] if envelope_to else None),
        to=headers.get("to") or None,
        subject=headers.get("subject") or None,
        date=headers.get("date") or None,
        ours=verdict.ours,
        ours_evidence=verdict.evidence,
        basis=verdict.basis,
        first_hop_ip=chain.public_ips[0] if chain.public_ips else None,
        dkim_domains=dkim,
        our_names=verdict.learned,
    )


def judge(
    *,
    chain: Chain,
    dkim: tuple[str, ...],
    message_id: str | None,
    from_address: str | None,
    envelope_to: tuple[str, ...],
    ownership: Ownership,
) -> Verdict:
    """The verdict, what it rests on and why, strongest signal first."""
    if (by_return_path := _return_path_verdict(envelope_to, ownership)) is not None:
        return by_return_path
    networks = _networks(ownership.sending_ips)
    hosts = {h.lower().rstrip(".") for h in ownership.sending_hosts}
    dkim_ours = (*_ours_domains(ownership), *ownership.dkim_domains)
    signed = [d for d in dkim if _in_domains(d, dkim_ours)]
    id_host = _message_id_host(message_id)
    for hop in chain.hops:
        if hop.ip and _in_networks(hop.ip, networks):
            return Verdict(ours=True, basis=OriginBasis.SENDING_IP,
                           evidence=f"it left through our server {hop.ip}",
                           learned=_learned(hop.helo, id_host, signed, ownership))
    named = [h for h in (*chain.hosts, *(hop.by for hop in chain.hops if hop.by)) if h in hosts]
    if named:
        return Verdict(ours=True, basis=OriginBasis.SENDING_HOST,
                       evidence=f"its Received chain names our host {named[0]}",
                       learned=_learned(None, id_host, signed, ownership))
    if signed:
        return Verdict(ours=True, basis=OriginBasis.DKIM, evidence=f"it carries our DKIM signature d={signed[0]}",
                       learned=_learned(None, id_host, (), ownership))
    claims_ours = bool(from_address) and _in_domains((from_address or "").rpartition("@")[2], _ours_domains(ownership))
    id_ours = id_host is not None and (_in_domains(id_host, _ours_domains(ownership))
                                       or id_host in ownership.message_id_hosts)
    against = _against(dkim, id_host, id_ours, claims_ours, ownership)
    if ownership.servers_known and chain.public_ips:
        first = chain.public_ips[0]
        return Verdict(ours=False, basis=OriginBasis.OUTSIDE_SERVERS,
                       evidence="; ".join([f"its first hop {first} is outside our servers", *against]))
    if claims_ours and dkim:
        return Verdict(ours=False, basis=OriginBasis.FOREIGN_DKIM,
                       evidence=f"it claims to be from {from_address} but is signed by {dkim[0]}, not us")
    if id_ours and not chain.public_ips:  # a hop we cannot place would make the forgeable Message-ID moot
        return Verdict(ours=True, basis=OriginBasis.MESSAGE_ID,
                       evidence="its Message-ID host is ours (weak: no Received or DKIM evidence)")
    if not ownership.servers_known:
        return Verdict(ours=None, basis=OriginBasis.NO_SERVERS,
                       evidence="; ".join(["our servers are not known (no sending_ips, SPF not learned)", *against]))
    return Verdict(ours=None, basis=OriginBasis.NO_EVIDENCE,
                   evidence="; ".join(["no Received hop, DKIM signature or Message-ID of ours", *against]))


def _against(dkim: tuple[str, ...], id_host: str | None, id_ours: bool, claims_ours: bool,
             ownership: Ownership) -> list[str]:
    """The weaker signs of forgery, told beside the verdict."""
    reasons = []
    if claims_ours and not dkim:
        reasons.append("no DKIM signature of ours")
    if id_host and not id_ours:
        reasons.append(f"its Message-ID host {id_host} is not one of ours")
    return reasons


def _learned(helo: str | None, id_host: str | None, signed: list[str] | tuple[str, ...],
             ownership: Ownership) -> tuple[KnownServer, ...]:
    """What this mail of ours shows that we did not know yet."""
    found = []
    if helo and helo not in ownership.sending_hosts:
        found.append(KnownServer(kind=ServerKind.HOST, value=helo, source=ServerSource.BOUNCES))
    if id_host and id_host not in ownership.message_id_hosts:
        found.append(KnownServer(kind=ServerKind.MESSAGE_ID_HOST, value=id_host, source=ServerSource.BOUNCES))
    found += [KnownServer(kind=ServerKind.DKIM, value=d, source=ServerSource.BOUNCES)
              for d in signed if d not in ownership.dkim_domains and not _in_domains(d, ownership.domains)]
    return tuple(found)


def _message_id_host(message_id: str | None) -> str | None:
    host = (message_id or "").strip().strip("<>").rpartition("@")[2].strip().lower().rstrip(".>")
    return host if _HOST_NAME.fullmatch(host) else None


def _return_path_verdict(envelope_to: tuple[str, ...], ownership: Ownership) -> Verdict | None:
    domains = _ours_domains(ownership)
    for address in envelope_to:
        domain = address.rpartition("@")[2]
        if not _in_domains(domain, domains):
            continue
        if _BATV.match(address):
            return Verdict(ours=True, basis=OriginBasis.RETURN_PATH,
                           evidence=f"the bounce came back to our BATV-signed return path {address}")
        if _VERP.match(address):
            return Verdict(ours=True, basis=OriginBasis.RETURN_PATH,
                           evidence=f"the bounce came back to our VERP return path {address}")
    return None


def _bounce_recipients(message: MessageView) -> tuple[str, ...]:
    fields = ("x-original-to", "delivered-to", "envelope-to", "to")
    found = (first_address(v) for name in fields for v in message.headers.get_all(name))
    return tuple(dict.fromkeys(a for a in found if a))


def received_chain(headers: Headers) -> Chain:
    """Public client IPs and host names of the Received hops, earliest hop first."""
    ips: list[str] = []
    hosts: list[str] = []
    hops: list[Hop] = []
    for value in reversed(headers.get_all("received")):
        match = _RECEIVED_FROM.match(value)
        by = _RECEIVED_BY.search(value)
        by_host = by.group(1).lower().rstrip(".") if by and _HOST_NAME.fullmatch(by.group(1).lower()) else None
        if match is None:
            hops.append(Hop(helo=None, ip=None, by=by_host))
            continue
        helo, rest = match.group(1).lower().strip("[]()"), match.group(2)
        named = helo.rstrip(".") if _HOST_NAME.fullmatch(helo) and not _is_ip(helo) else None
        if named:
            hosts.append(named)
        hosts.extend(h.rstrip(".") for h in _host_names(rest.lower()) if not _is_ip(h))
        client = next((c for c in (*_IP_IN_BRACKETS.findall(rest), *_BARE_IPV4.findall(rest), helo)
                       if _is_public(c)), None)
        if client is not None:
            ips.append(client)
        hops.append(Hop(helo=named, ip=client, by=by_host))
    return Chain(public_ips=tuple(dict.fromkeys(ips)), hosts=tuple(dict.fromkeys(hosts)), hops=tuple(hops))


def _host_names(text: str) -> list[str]:
    """What `_HOST_NAME.findall(text)` says, in linear time."""
    return [name for name in _HOST_NAMES.findall(text) if name]


def _dkim_domains(signature: str) -> list[str]:
    return [m.lower().rstrip(".") for m in _DKIM_DOMAIN.findall(signature)]


def _ours_domains(ownership: Ownership) -> tuple[str, ...]:
    return tuple(d.lower().rstrip(".") for d in ownership.domains)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# The same few `sending_ips` for every bounce of a scan: parsed once, not once a message (which was
# a third of `describe_original` with four of them configured).
@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            continue
    return tuple(out)


def _in_networks(ip: str, networks: tuple[Network, ...]) -> bool:
    address = _address(ip.strip()) if networks else None
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks if network.version == address.version)


def _in_domains(domain: str, domains: tuple[str, ...]) -> bool:
    name = domain.lower().rstrip(".>")
    return any(name == d or name.endswith("." + d) for d in domains)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`text` as an IP address, or None. Host names, most of what is asked, are refused before
    `ipaddress` is asked: it raises twice (IPv4, then IPv6) to say no."""
    if ":" not in text and not text.replace(".", "").isdigit():
        return None  # an IPv6 address has a colon, an IPv4 one only digits and dots
    return _parsed(text)


# A hop's address is asked about two or three times (a host name? the client? public?), and our own
# servers' in every bounce of a scan: the last few answers are kept. Small, so a cache never grows.
@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_ip(text: str) -> bool:
    return _address(text) is not None


# Addresses that never face the Internet. Documentation ranges (192.0.2.0/24, ...) count as
# public on purpose: samples and tests use them as stand-ins for real addresses.
_INTERNAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/3", "::/127", "fc00::/7", "fe80::/10", "ff00::/8", "::ffff:0:0/96",
))


def _is_public(text: str) -> bool:
    address = _address(text.strip())
    return address is not None and not _is_internal(address)


@functools.lru_cache(maxsize=64)
def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in _INTERNAL)
