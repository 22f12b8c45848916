"""Was the bounced original ours or forged in our name (backscatter)? Called by `parse`.

Signals, strongest first: where the original entered the Internet (the first public IP in its
Received chain) against `[monitor] sending_ips`; our outbound host names in that chain; our DKIM
`d=`; a VERP or BATV-signed return path (only our own mail carries those); the Message-ID domain.
`ours` stays None when the bounce gives no evidence either way.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bot.bounces.message import Headers, MessageView, first_address
from bot.models import Original, Ownership

# "from mail.example.com (mail.example.com [192.0.2.10])", "from [198.51.100.7] (helo=x)"
_RECEIVED_FROM = re.compile(r"^\s*from\s+(\S+)(.*?)(?:\bby\b|$)", re.IGNORECASE | re.DOTALL)
_IP_IN_BRACKETS = re.compile(r"[\[(]\s*(?:IPv6:)?([0-9a-fA-F:.]{3,45})\s*[\])]")
_BARE_IPV4 = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3})\b")
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_DKIM_DOMAIN = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)
# BATV "prvs=0123456789=user@example.com" / "btv1==...==user@example.com"
_BATV = re.compile(r"^(?:prvs|msprvs\d*|btv1)=[^@]*=", re.IGNORECASE)
# VERP "bounces+user=example.org@example.com", "bounce-123-user=example.org@example.com"
_VERP = re.compile(r"^[^@=+]*[+-][^@]*=[^@]+@", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Chain:
    """What the original's Received headers say about its path."""

    public_ips: tuple[str, ...]  # client IPs of the hops, earliest first, public addresses only
    hosts: tuple[str, ...]  # host names the hops name (HELO and reverse DNS), lower case


def describe_original(message: MessageView, headers: Headers | None, ownership: Ownership) -> Original | None:
    """The original as the bounce quotes it, with the ours/spoofed verdict; None if not quoted."""
    envelope_to = _bounce_recipients(message)
    if headers is None or not headers:
        verdict, why = _return_path_verdict(envelope_to, ownership)
        if verdict is None:
            return None
        return Original(ours=verdict, ours_evidence=why)
    chain = received_chain(headers)
    dkim = tuple(dict.fromkeys(d for sig in headers.get_all("dkim-signature") for d in _dkim_domains(sig)))
    from_address = first_address(headers.get("from")) or None
    return_path = first_address(headers.get("return-path") or headers.get("x-envelope-from")) or None
    message_id = headers.get("message-id") or None
    ours, why = judge(chain=chain, dkim=dkim, message_id=message_id, from_address=from_address,
                      envelope_to=envelope_to, ownership=ownership)
    return Original(
        message_id=message_id,
        from_address=from_address,
        return_path=return_path,
        to=headers.get("to") or None,
        subject=headers.get("subject") or None,
        date=headers.get("date") or None,
        ours=ours,
        ours_evidence=why,
        first_hop_ip=chain.public_ips[0] if chain.public_ips else None,
        dkim_domains=dkim,
    )


def judge(
    *,
    chain: Chain,
    dkim: tuple[str, ...],
    message_id: str | None,
    from_address: str | None,
    envelope_to: tuple[str, ...],
    ownership: Ownership,
) -> tuple[bool | None, str]:
    """The verdict and one sentence saying why, strongest signal first."""
    ips = {_normal_ip(ip) for ip in ownership.sending_ips}
    if ips and chain.public_ips:
        ours_ips = [ip for ip in chain.public_ips if _normal_ip(ip) in ips]
        if ours_ips:
            return True, f"it left through our sending IP {ours_ips[0]}"
        return False, f"it entered the Internet at {chain.public_ips[0]}, not one of our sending IPs"
    hosts = {h.lower().rstrip(".") for h in ownership.sending_hosts}
    named = [h for h in chain.hosts if h in hosts]
    if named:
        return True, f"its Received chain names our host {named[0]}"
    dkim_ours = _ours_domains(ownership, dkim=True)
    signed = [d for d in dkim if _in_domains(d, dkim_ours)]
    if signed:
        return True, f"it carries our DKIM signature d={signed[0]}"
    verdict, why = _return_path_verdict(envelope_to, ownership)
    if verdict is not None:
        return verdict, why
    domains = _ours_domains(ownership, dkim=False)
    if from_address and _in_domains(from_address.rpartition("@")[2], domains):
        if dkim and not signed:
            return False, f"it claims to be from {from_address} but is signed by {dkim[0]}, not us"
        if hosts and chain.hosts:
            return False, f"it claims to be from {from_address} but none of our hosts is in its Received chain"
    if message_id and _in_domains(message_id.strip("<> ").rpartition("@")[2], domains):
        return True, "its Message-ID is in our domain (weak: no Received or DKIM evidence)"
    return None, ""


def _return_path_verdict(envelope_to: tuple[str, ...], ownership: Ownership) -> tuple[bool | None, str]:
    domains = _ours_domains(ownership, dkim=False)
    for address in envelope_to:
        domain = address.rpartition("@")[2]
        if not _in_domains(domain, domains):
            continue
        if _BATV.match(address):
            return True, f"the bounce came back to our BATV-signed return path {address}"
        if _VERP.match(address):
            return True, f"the bounce came back to our VERP return path {address}"
    return None, ""


def _bounce_recipients(message: MessageView) -> tuple[str, ...]:
    fields = ("x-original-to", "delivered-to", "envelope-to", "to")
    found = (first_address(v) for name in fields for v in message.headers.get_all(name))
    return tuple(dict.fromkeys(a for a in found if a))


def received_chain(headers: Headers) -> Chain:
    """Public client IPs and host names of the Received hops, earliest hop first."""
    ips: list[str] = []
    hosts: list[str] = []
    for value in reversed(headers.get_all("received")):
        match = _RECEIVED_FROM.match(value)
        if match is None:
            continue
        helo, rest = match.group(1).lower().strip("[]()"), match.group(2)
        if _HOST_NAME.fullmatch(helo):
            hosts.append(helo.rstrip("."))
        hosts.extend(h.rstrip(".") for h in _HOST_NAME.findall(rest.lower()) if not _is_ip(h))
        for candidate in (*_IP_IN_BRACKETS.findall(rest), *_BARE_IPV4.findall(rest), helo):
            if _is_public(candidate):
                ips.append(candidate)
                break
    return Chain(public_ips=tuple(dict.fromkeys(ips)), hosts=tuple(dict.fromkeys(hosts)))


def _dkim_domains(signature: str) -> list[str]:
    return [m.lower().rstrip(".") for m in _DKIM_DOMAIN.findall(signature)]


def _ours_domains(ownership: Ownership, *, dkim: bool) -> tuple[str, ...]:
    chosen = ownership.dkim_domains if dkim and ownership.dkim_domains else ownership.domains
    return tuple(d.lower().rstrip(".") for d in chosen)


def _in_domains(domain: str, domains: tuple[str, ...]) -> bool:
    name = domain.lower().rstrip(".>")
    return any(name == d or name.endswith("." + d) for d in domains)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# Addresses that never face the Internet. Documentation ranges (192.0.2.0/24, ...) count as
# public on purpose: samples and tests use them as stand-ins for real addresses.
_INTERNAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/3", "::/127", "fc00::/7", "fe80::/10", "ff00::/8", "::ffff:0:0/96",
))


def _is_public(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return not any(address in network for network in _INTERNAL)


def _normal_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text.strip().lower()
