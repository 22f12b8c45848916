"""The likely cause of a domain's bounces, the numbers behind it and what to do next; pure.

Called by bot/monitor/evaluate.py with the window's stats and the domain's latest reputation check.
Causes are tried in the order of `RULES`, first match wins: forged mail explains everything else it
looks like; a flood mostly of bounces we cannot place (ours or forged?) backs no cause that rests on
our own mail, so it is said as such; a compromised account explains the rejections and listings it
causes, a listing explains rejections, and only then do unknown recipients or one failing receiver
stand on their own. Only bounces known to be of our own mail count as ours: unknown is never ours.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.models import Cause, CheckResult, Diagnosis, ListingStatus, SentVolume, ZoneResult
from bot.monitor import listings
from bot.monitor.rates import BAD_RECIPIENT_REASONS, REJECTION_REASONS, WindowStats
from bot.monitor.wording import and_list, pct, share, span
from bot.volume import sender_key

BACKSCATTER_SHARE = 0.5  # of all bounces: originals not sent through our servers
UNPLACED_SHARE = 0.5  # of all bounces: of unknown origin, too many to name a cause resting on our own mail
SENDER_SHARE = 0.5  # of our own bounces: from one local sender ...
SENDER_SPREAD = 20  # ... to at least this many recipient domains ...
SENDER_REJECTED_SHARE = 0.3  # ... with this share refused as spam or by policy
BLOCKLIST_SHARE = 0.3  # of our own bounces: citing a blocklist
BAD_RECIPIENT_SHARE = 0.5  # of our own bounces: userunknown / hostunknown / hasmoved
REMOTE_SHARE = 0.6  # of all bounces: from one receiving domain


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What a rule looks at: the window's stats, the latest check (None before the first) and the window."""

    stats: WindowStats
    check: CheckResult | None
    window: timedelta

    @property
    def own(self) -> int:
        """Bounces known to be of our own mail (not forged, not unknown)."""
        return self.stats.ours


@dataclass(frozen=True, slots=True)
class Rule:
    cause: Cause
    applies: Callable[[Facts], bool]
    explain: Callable[[Facts], Diagnosis]


def diagnose(stats: WindowStats, check: CheckResult | None, window: timedelta) -> Diagnosis:
    """The first rule that applies to the facts, or `mixed`; other rules that also apply add an 'Also' line.

    A backscatter flood can hide a real listing of our own IP: the second finding must not be lost.
    """
    facts = Facts(stats=stats, check=check, window=window)
    applying = [rule for rule in RULES if rule.applies(facts)]
    if not applying:
        return _mixed(facts)
    first = applying[0].explain(facts)
    also = [(rule.cause, rule.explain(facts)) for rule in applying[1:]]
    evidence = list(first.evidence)
    for cause, extra in also:
        if not extra.evidence:
            continue
        line = f"Also {cause}: {_continued(extra.evidence[0])}"
        if extra.evidence[0] in evidence:  # the first cause told it already: say once, as what it is
            evidence[evidence.index(extra.evidence[0])] = line
        else:
            evidence.append(line)
    if first.cause is not Cause.UNKNOWN_ORIGIN and (line := _unplaced_line(facts.stats)):
        evidence.append(line)
    steps = [*first.next_steps, *(f"For the {cause} part: {_continued(extra.next_steps[0])}"
                                   for cause, extra in also if extra.next_steps)]
    return Diagnosis(cause=first.cause, evidence=tuple(evidence), next_steps=tuple(steps))


def _continued(sentence: str) -> str:
    """'Of the 275 bounces, …' → 'of the 275 bounces, …' after a colon; names and numbers stay as they are."""
    word = sentence.split(" ", 1)[0]
    return sentence[0].lower() + sentence[1:] if word.isalpha() and word[1:].islower() else sentence


# --------------------------------------------------------------------------- backscatter


def _is_backscatter(facts: Facts) -> bool:
    return facts.stats.total > 0 and facts.stats.spoofed >= BACKSCATTER_SHARE * facts.stats.total


def _backscatter(facts: Facts) -> Diagnosis:
    stats, domain = facts.stats, facts.stats.domain
    where = ""
    if stats.spoofed_first_hops:
        hop = stats.spoofed_first_hops[0][0]
        spf = _spf_ips(facts.check)
        verdict = (f"is not in {domain}'s SPF" if spf is not None and not _in_any(hop, spf)
                   else "is not one of our servers")
        where = f" (first hop {hop} {verdict})"
    evidence = [f"{pct(stats.spoofed, stats.total)} of the {stats.total:,} bounced messages were not sent "
                f"through our servers{where}.", *_listing_evidence(facts)]
    steps = [_dmarc_advice(facts), "Nobody here sent these: do not retry or clean lists because of them.",
             "Have our MX reject bounces (empty sender) whose quoted Message-ID is not one we generated "
             "(BATV or our own Message-ID check), so the flood stops reaching the mailbox."]
    return Diagnosis(cause=Cause.BACKSCATTER, evidence=tuple(evidence), next_steps=tuple(steps))


def _dmarc_advice(facts: Facts) -> str:
    domain = facts.stats.domain
    posture = facts.check.posture if facts.check else None
    policy = (posture.dmarc_policy or "").lower() if posture else ""
    if posture is None:
        return (f"Check {domain}'s DMARC policy (`bouncecheck check {domain}`): with p=none receivers "
                "accept mail forged in our name; move to p=quarantine, then p=reject.")
    if not posture.dmarc_record:
        return (f"{domain} has no DMARC record, so receivers accept mail forged in our name: publish one "
                "with p=quarantine, then move to p=reject.")
    if policy == "none":
        return ("DMARC is p=none, so receivers accept mail forged in our name: move to p=quarantine, "
                "then p=reject.")
    if policy == "quarantine":
        return "DMARC is p=quarantine: move to p=reject so receivers refuse forged mail outright."
    return ("DMARC is already p=reject: the bounces come from receivers that ignore it; report the "
            "worst of them to their postmasters.")


# --------------------------------------------------------------------------- compromised sender


def _is_compromised(facts: Facts) -> bool:
    stats = facts.stats
    if not stats.by_sender or facts.own == 0:
        return False
    top = stats.by_sender[0]
    rejected = stats.reason_count(REJECTION_REASONS, own_only=True)
    return (top.bounces >= SENDER_SHARE * facts.own and top.recipient_domains >= SENDER_SPREAD
            and rejected >= SENDER_REJECTED_SHARE * facts.own)


def _compromised(facts: Facts) -> Diagnosis:
    stats = facts.stats
    top = stats.by_sender[0]
    rejected = stats.reason_count(REJECTION_REASONS, own_only=True)
    evidence = [f"{top.sender} sent {top.bounces:,} of the {stats.total:,} bounced messages to "
                f"{top.recipient_domains:,} domains in the last {span(facts.window)}.",
                f"{pct(rejected, facts.own)} of our bounced mail was refused as spam or by policy "
                f"({_reasons(stats, REJECTION_REASONS)}).", *_listing_evidence(facts)]
    steps = [f"Lock the account {top.sender}, reset its password and end its sessions.",
             "Check the machine it sends from for malware, and remove what it still has in our queues.",
             "Once the sending has stopped, check our IPs (`bouncecheck check`) and request delisting "
             "where they got listed."]
    return Diagnosis(cause=Cause.COMPROMISED_SENDER, evidence=tuple(evidence), next_steps=tuple(steps))


# --------------------------------------------------------------------------- blacklisted


def _is_blacklisted(facts: Facts) -> bool:
    return bool(facts.check and listings.listed(facts.check)) or (
        facts.own > 0 and facts.stats.citing_blocklists_own >= BLOCKLIST_SHARE * facts.own)


def _blacklisted(facts: Facts) -> Diagnosis:
    stats = facts.stats
    evidence = list(_listing_evidence(facts))
    cited = ", ".join(f"{n:,} cite {zone}" for zone, n in stats.by_blocklist[:3])
    if cited:
        evidence.append(f"Of the {stats.total:,} bounces, {cited}.")
    if facts.check is None:
        evidence.append("No blacklist check has run yet for our IPs and domain.")
    elif not listings.listed(facts.check):
        evidence.append(f"Our checked IPs and domain were not listed at {facts.check.checked_at:%Y-%m-%d %H:%M} UTC: "
                        "the listing may be of a relay or already expired.")
    delist = [f"{result.list}: {result.delist_url}" for _, result in _listed(facts) if result.delist_url]
    steps = ["Find out why we were listed (the list's lookup page and TXT record say) and stop it first: "
             "a compromised account, an open form, a purchased list.",
             f"Then request delisting ({'; '.join(dict.fromkeys(delist))})." if delist
             else "Then request delisting at each list that is cited.",
             "Until then, send urgent mail through another of our IPs or a relay that is not listed."]
    return Diagnosis(cause=Cause.BLACKLISTED, evidence=tuple(evidence), next_steps=tuple(steps))


def _listing_evidence(facts: Facts) -> list[str]:
    """'192.0.2.10 is listed on Spamhaus ZEN (SBL, code 127.0.0.2); Barracuda and SpamCop are clean.'"""
    if facts.check is None:
        return []
    lines = []
    for target in dict.fromkeys(target for target, _ in _listed(facts)):
        hits = [result for t, result in _listed(facts) if t == target]
        listed_on = "; ".join(
            f"{r.list or r.zone} ({', '.join(filter(None, [r.meaning, _codes(r.codes)]))})"
            if r.meaning or r.codes else (r.list or r.zone) for r in hits)
        clean = list(dict.fromkeys(
            r.list or r.zone for t, r in listings.zone_results(facts.check)
            if t == target and r.status is ListingStatus.NOT_LISTED and not r.informational))
        sentence = f"{target} is listed on {listed_on}"
        if clean:
            sentence += f"; {and_list(clean[:3])} {'is' if len(clean[:3]) == 1 else 'are'} clean"
        lines.append(sentence + ".")
    return lines


def _listed(facts: Facts) -> list[tuple[str, ZoneResult]]:
    return listings.listed(facts.check) if facts.check else []


# --------------------------------------------------------------------------- bad recipients


def _is_bad_recipients(facts: Facts) -> bool:
    return facts.own > 0 and facts.stats.reason_count(BAD_RECIPIENT_REASONS, own_only=True) \
        >= BAD_RECIPIENT_SHARE * facts.own


def _bad_recipients(facts: Facts) -> Diagnosis:
    stats = facts.stats
    bad = stats.reason_count(BAD_RECIPIENT_REASONS, own_only=True)
    evidence = [f"{bad:,} of the {facts.own:,} bounces of our own mail ({pct(bad, facts.own)}) are "
                f"addresses that do not exist ({_reasons(stats, BAD_RECIPIENT_REASONS)}).",
                *_top_sender(stats)]
    steps = ["Stop the send these come from and remove every address that hard-bounced from its list.",
             "Find where the list came from: an old export, a purchase or a form without confirmation; "
             "send only to confirmed addresses from now on.",
             "Receivers count unknown-recipient rates against us: keep them under 2 % per send."]
    return Diagnosis(cause=Cause.BAD_RECIPIENTS, evidence=tuple(evidence), next_steps=tuple(steps))


# --------------------------------------------------------------------------- remote problem


def _is_remote(facts: Facts) -> bool:
    top = facts.stats.by_recipient_domain[:1]
    return bool(top) and facts.stats.total > 0 and top[0][1] >= REMOTE_SHARE * facts.stats.total


def _remote(facts: Facts) -> Diagnosis:
    stats = facts.stats
    receiver, n = stats.by_recipient_domain[0]
    evidence = [f"{n:,} of the {stats.total:,} bounces ({pct(n, stats.total)}) come from one receiving "
                f"domain, {receiver}.", f"Top reasons: {_top_reasons(stats)}."]
    if stats.by_reporting_mta:
        evidence.append(f"Reported mostly by {stats.by_reporting_mta[0][0]} "
                        f"({stats.by_reporting_mta[0][1]:,}).")
    steps = [f"Look up {receiver}'s status page or ask its postmaster: the failure is on their side or "
             "between us.",
             "Soft bounces are retried by our queue; if the bounces say we are refused, follow the link "
             "in the bounce text to the receiver's sender support form."]
    return Diagnosis(cause=Cause.REMOTE_PROBLEM, evidence=tuple(evidence), next_steps=tuple(steps))


# --------------------------------------------------------------------------- mixed


def _mixed(facts: Facts) -> Diagnosis:
    stats = facts.stats
    unplaced = [line] if (line := _unplaced_line(stats)) else []
    evidence = [f"{stats.total:,} bounces in the last {span(facts.window)}: {stats.ours:,} of our own "
                f"mail, {stats.spoofed:,} of forged mail, {stats.unknown:,} unknown; "
                f"{stats.hard:,} hard, {stats.soft:,} soft.", f"Top reasons: {_top_reasons(stats)}."]
    if stats.by_recipient_domain:
        receiver, n = stats.by_recipient_domain[0]
        evidence.append(f"The most bounces from one receiving domain: {receiver} ({n:,}).")
    evidence += [*_top_sender(stats), *unplaced]
    steps = ["No single cause stands out: start with the top reason and the top sender above.",
             f"Run `bouncecheck check {stats.domain}` to see our blacklist status and DMARC posture."]
    return Diagnosis(cause=Cause.MIXED, evidence=tuple(evidence), next_steps=tuple(steps))


# --------------------------------------------------------------------------- unknown origin

UNPLACED_WHY = {  # models.OriginBasis of an unknown bounce → why it could not be placed
    "no_original": "quote none of the original's headers",
    "no_servers": "need our servers, which are not known (no [monitor] sending_ips, SPF not learned yet)",
    "no_evidence": "quote headers with no Received hop, DKIM signature or Message-ID that decides",
}


def _is_unplaced(facts: Facts) -> bool:
    return facts.stats.total > 0 and facts.stats.unknown >= UNPLACED_SHARE * facts.stats.total


def _unplaced(facts: Facts) -> Diagnosis:
    stats = facts.stats
    evidence = [f"{pct(stats.unknown, stats.total)} of the {stats.total:,} bounces could not be placed as our "
                f"mail or forged mail: {_unplaced_reasons(stats)}.",
                f"Of the rest, {stats.ours:,} are of our own mail and {stats.spoofed:,} of forged mail; "
                f"top reasons: {_top_reasons(stats)}."]
    steps = []
    why = dict(stats.unknown_why)
    if why.get("no_servers"):
        steps.append(f"Tell bouncecheck our outbound servers: check that {stats.domain}'s SPF resolves "
                     "(`bouncecheck check " + stats.domain + "`), or list them in [monitor] sending_ips.")
    if why.get("no_original"):
        steps.append("Open a few of these bounces: if they come back without the original's headers, ask the "
                     "reporting MTAs' postmasters, or sign our return path (BATV/VERP) so bounces prove their origin.")
    steps += [f"Until then, treat the cause as unknown: run `bouncecheck check {stats.domain}` for our blacklist "
              "status, and do not clean lists or lock accounts on this evidence alone."]
    return Diagnosis(cause=Cause.UNKNOWN_ORIGIN, evidence=tuple(evidence), next_steps=tuple(steps))


def _unplaced_line(stats: WindowStats) -> str:
    """'12 of the 60 bounces are of unknown origin (12 quote none …): counted as neither ours nor forged.'"""
    if not stats.unknown:
        return ""
    return (f"{stats.unknown:,} of the {stats.total:,} bounces are of unknown origin ({_unplaced_reasons(stats)}): "
            "counted as neither ours nor forged.")


def _unplaced_reasons(stats: WindowStats) -> str:
    return "; ".join(f"{n:,} {UNPLACED_WHY.get(basis, 'could not be placed')}" for basis, n in stats.unknown_why) \
        or f"{stats.unknown:,} could not be placed"


RULES: tuple[Rule, ...] = (
    Rule(Cause.BACKSCATTER, _is_backscatter, _backscatter),
    Rule(Cause.UNKNOWN_ORIGIN, _is_unplaced, _unplaced),
    Rule(Cause.COMPROMISED_SENDER, _is_compromised, _compromised),
    Rule(Cause.BLACKLISTED, _is_blacklisted, _blacklisted),
    Rule(Cause.BAD_RECIPIENTS, _is_bad_recipients, _bad_recipients),
    Rule(Cause.REMOTE_PROBLEM, _is_remote, _remote),
)

# --------------------------------------------------------------------------- wording


def _top_sender(stats: WindowStats) -> list[str]:
    if not stats.by_sender:
        return []
    top = stats.by_sender[0]
    return [f"The most bounces for one of our senders: {top.sender} ({top.bounces:,}, to "
            f"{top.recipient_domains:,} domains)."]


def _top_reasons(stats: WindowStats) -> str:
    return ", ".join(f"{reason} {n:,}" for reason, n in stats.by_reason[:3]) or "none"


def _reasons(stats: WindowStats, wanted: frozenset[str]) -> str:
    return ", ".join(f"{reason} {n:,}" for reason, n in stats.by_reason_own if reason in wanted)


def _spf_ips(check: CheckResult | None) -> list[str] | None:
    """Our IPs the domain's SPF names, or None when no check has read it."""
    if check is None or check.posture is None or not check.posture.spf_record:
        return None
    return [ip.ip for ip in check.ips if "spf" in ip.sources]


def _in_any(ip: str, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
        return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
    except ValueError:
        return ip in networks


def _codes(codes: tuple[str, ...]) -> str:
    return f"code {', '.join(codes)}" if codes else ""


def with_rate(diagnosis: Diagnosis, stats: WindowStats, volume: SentVolume, window: timedelta) -> Diagnosis:
    """The diagnosis with what the rate says, first: our own bounces as a share of what we sent, the
    other bounces apart; for a bad list, the unknown users as a share of what we sent."""
    if volume.rate is None:
        lines = [f"We sent nothing in the last {span(window)} by {', '.join(volume.sources)}: "
                 f"the {volume.own:,} bounces of our own mail cannot be a rate: they are judged by the count."]
    else:
        lines = [f"Our own bounce rate is {share(volume.rate)} of the {volume.sent:,} messages we sent in the last "
                 f"{span(window)} (alert at {share(volume.alert_rate)}"
                 + (f"; not judged below {volume.min_sent:,} sent: judged by the count" if not volume.judged
                    else "") + ")"
                 + (f"; the other {volume.other:,} bounces (backscatter, unknown origin) are not ours and "
                    "not in it." if volume.other else ".")]
        unknown = stats.reason_count(("userunknown",), own_only=True)
        if diagnosis.cause is Cause.BAD_RECIPIENTS and unknown:
            lines.append(f"Unknown recipients alone are {share(unknown / volume.sent)} of what we sent.")
    lines += _volume_jumps(diagnosis, stats, volume, window)
    return replace(diagnosis, evidence=(*lines, *diagnosis.evidence))


SENDER_JUMP = 10  # a sender sending this many times its usual volume is worth a line


def _volume_jumps(diagnosis: Diagnosis, stats: WindowStats, volume: SentVolume, window: timedelta) -> list[str]:
    """What the senders' volume says: the bounced sender of a compromised account sent far more than
    usual; any other sender's jump is named too (an account can be abused before its mail bounces).
    Senders are counted in clock hours: their span is said as "since HH:00 UTC", never as the window."""
    if volume.senders_since is None:
        return []  # a window under an hour (or an incident stored before): no honest span to name
    since = f"since {volume.senders_since:%H:%M} UTC"
    suspect = sender_key(stats.by_sender[0].sender) if stats.by_sender else ""
    lines = []
    for sender, sent, usual in volume.top_senders:
        jumped = sent >= volume.min_sent and sent >= SENDER_JUMP * max(usual, 1.0)
        if sender == suspect and diagnosis.cause is Cause.COMPROMISED_SENDER:
            lines.append(f"{sender} sent {sent:,} messages {since}, "
                         + (f"{sent / usual:.0f}× its usual {usual:,.0f}." if usual >= 1
                            else "against almost none in the day before."))
        elif jumped:
            lines.append(f"{sender} sent {sent:,} messages {since}, {SENDER_JUMP}× or more "
                         "its usual: check that account.")
    return lines
