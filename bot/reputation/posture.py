"""SPF and DMARC posture of a domain, with advice about spoofing and backscatter.

SPF facts come from targets.py's walk, the same walk that finds the sending IPs (why it is ours
and not checkdmarc's: see targets.py). The DMARC record is fetched through our resolver and read
with checkdmarc's parser (`parse_dmarc_record`, imported only then), given `Resolver.sync_resolver()` so the few
lookups it makes (the rua domains' MX) use `[dns]` too; it runs in a thread beside the other
lookups. A record that could not be looked up (SERVFAIL, timeout, a resolver at fault) is told
apart from one that is not published, and gets no advice. `advise()` is pure. Called by check.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import dns.exception
from publicsuffixlist import PublicSuffixList

from bot.models import Posture
from bot.reputation.resolver import Resolver
from bot.reputation.targets import SpfWalk


@dataclass(frozen=True, slots=True, kw_only=True)
class Dmarc:
    record: str | None = None
    location: str | None = None  # the domain the record was found at (the org domain for a subdomain)
    policy: str | None = None
    subdomain_policy: str | None = None
    rua: tuple[str, ...] = ()
    error: str | None = None
    lookup_failure: str = ""  # why _dmarc could not be looked up ("SERVFAIL"); `error` then says so too


def _is_dmarc(text: str) -> bool:
    return text.replace(" ", "").lower().startswith("v=dmarc1")


async def fetch_dmarc(resolver: Resolver, domain: str) -> Dmarc:
    """The record at `_dmarc.<domain>`, else the organizational domain's (both asked at once), unparsed."""
    base = _suffixes().privatesuffix(domain) or domain
    names = list(dict.fromkeys((domain, base)))
    lookups = await asyncio.gather(*(resolver.query(f"_dmarc.{name}", "TXT") for name in names))
    for name, lookup in zip(names, lookups, strict=True):
        if lookup.failed:
            where = "" if name == domain else f" at _dmarc.{name}"
            return Dmarc(error=f"DMARC lookup for {name} {lookup.status.value}: {lookup.error}",
                         lookup_failure=lookup.failure + where)
        records = [t for t in lookup.values if _is_dmarc(t)]
        if len(records) > 1:
            return Dmarc(record=records[0], location=name,
                         error=f"{len(records)} DMARC records at _dmarc.{name}; receivers ignore them all")
        if records:
            return Dmarc(record=records[0], location=name)
    return Dmarc()


async def check_dmarc(resolver: Resolver, domain: str) -> Dmarc:
    found = await fetch_dmarc(resolver, domain)
    if found.record is None or found.location is None or found.error:
        return found
    return await asyncio.to_thread(_parse_dmarc, resolver, found.record, found.location)


@cache
def _suffixes() -> PublicSuffixList:
    """The public suffix list (what checkdmarc's base domain reads), loaded once."""
    return PublicSuffixList()


def _parse_dmarc(resolver: Resolver, record: str, location: str) -> Dmarc:
    # checkdmarc (cryptography, requests, BIMI…) costs 0.16 s to import: only once a record is there
    # to read, in this thread, never before a check's first query.
    import checkdmarc.dmarc

    try:
        parsed: dict[str, Any] = dict(checkdmarc.dmarc.parse_dmarc_record(
            record, location, resolver=resolver.sync_resolver(), timeout=resolver.timeout, retries=0))
    except (checkdmarc.dmarc.DMARCError, dns.exception.DNSException, OSError) as exc:
        return Dmarc(record=record, location=location, error=str(exc))
    tags = parsed["tags"]
    return Dmarc(
        record=record, location=location,
        policy=str(tags["p"]["value"]), subdomain_policy=str(tags["sp"]["value"]),
        rua=tuple(str(uri["address"]) for uri in tags.get("rua", {}).get("value", [])),
    )


def build_posture(domain: str, spf: SpfWalk, dmarc: Dmarc, distrust: str = "") -> Posture:
    """The posture facts and advice (pure).

    `distrust` says why the resolver's negative answers cannot be believed (it was found at fault):
    then a record it did not return is "could not look up", never "none published".
    """
    # An include that could not be fetched is a temperror (RFC 7208 §5.2): the record may be fine.
    temporary = [error for error in spf.errors if "temperror" in error]
    permanent = [error for error in spf.errors if "temperror" not in error]
    spf_problem = (spf.lookup_failure or spf.temporary_error or (distrust if spf.record is None else "")
                   or "; ".join(temporary))
    if spf.record is not None and permanent:
        spf_valid: bool | None = False
    else:
        spf_valid = None if spf_problem else spf.record is not None
    dmarc_problem = dmarc.lookup_failure or (distrust if dmarc.record is None and not dmarc.error else "")
    facts = Posture(
        spf_record=spf.record,
        spf_valid=spf_valid,
        spf_all=spf.all_qualifier,
        spf_lookups=spf.lookups if spf.record else None,
        spf_error=spf.temporary_error or "; ".join(spf.errors) or None,
        spf_lookup_problem=spf_problem,
        dmarc_record=dmarc.record,
        dmarc_policy=dmarc.policy,
        dmarc_subdomain_policy=dmarc.subdomain_policy,
        dmarc_rua=dmarc.rua,
        dmarc_error=dmarc.error,
        dmarc_lookup_problem=dmarc_problem,
    )
    return replace(facts, advice=advise(domain, facts))


def advise(domain: str, p: Posture) -> tuple[str, ...]:
    """What a postmaster should do, in the order it matters for spoofing and backscatter (pure).

    A record we could not look up gets no advice: it may well be published and fine.
    """
    advice: list[str] = []
    if p.spf_record is None and p.spf_valid is not None:
        advice.append(f"No SPF record: receivers cannot tell mail from your servers from forgeries using "
                      f"{domain}. Publish `v=spf1 <your senders> -all` (or `~all` while testing).")
    elif p.spf_valid is False:
        advice.append(f"SPF is broken ({p.spf_error}): receivers treat it as a permanent error, "
                      "as if there were no SPF. Fix the record.")
    if p.spf_all in ("+all", "?all"):
        advice.append(f"SPF ends in {p.spf_all}: that authorizes (or says nothing about) every host on "
                      "the Internet. End it with -all or ~all.")
    if p.dmarc_lookup_problem:
        pass  # nothing to say about a record we have not seen
    elif p.dmarc_error:
        advice.append(f"DMARC record unusable ({p.dmarc_error}): fix it, receivers ignore a broken record.")
    elif p.dmarc_record is None:
        advice.append(f"No DMARC record: anyone can put {domain} in From: and receivers will not reject it, "
                      "so spam forged in your name bounces back to you (backscatter). Publish "
                      f"`_dmarc.{domain}` with p=none and a rua= address to start, then move to quarantine/reject.")
    elif p.dmarc_policy == "none":
        advice.append(f"DMARC p=none lets anyone use {domain} in From: — receivers deliver or bounce forgeries "
                      "instead of rejecting them, which feeds backscatter. Once rua reports show your own mail "
                      "passes, move to p=quarantine, then p=reject.")
    if p.dmarc_policy in ("quarantine", "reject") and p.dmarc_subdomain_policy == "none":
        advice.append("DMARC sp=none leaves subdomains open to spoofing: set sp=quarantine or sp=reject.")
    if p.dmarc_record is not None and not p.dmarc_error and not p.dmarc_rua:
        advice.append("DMARC has no rua= address: you get no reports of who sends mail as your domain.")
    return tuple(advice)
