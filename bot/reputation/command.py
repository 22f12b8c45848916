"""`bouncecheck check [--json] TARGET`: run `check_target` and print DESIGN.md's JSON or a table.

Called by bot/cli.py; `result_json` and `render_text` are pure, so Slack and tests can reuse them.
A bad target raises UsageError (exit 2); a listed verdict is still a successful check (exit 0).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.errors import BounceCheckError
from bot.models import CheckResult, KnownServer, ListingStatus, Posture, ServerSource, Verdict, ZoneResult
from bot.reputation.check import check_target


def run_check(target: str, *, as_json: bool, settings: Settings, out: TextIO) -> int:
    result = check_target(target, settings)
    if result.target_type == "domain" and result.target in settings.monitor.domains:
        # The store's modules (SQLAlchemy: 0.12 s to import) only after the lookups, and only here.
        from bot.store.servers_store import config_servers

        servers = (*config_servers(settings.monitor), *result.servers, *_seen_in_bounces(settings, result.target))
        result = replace(result, servers=servers)
    if as_json:
        out.write(json.dumps(result_json(result), ensure_ascii=False) + "\n")
    else:
        out.write(render_text(result))
    return 0


def _seen_in_bounces(settings: Settings, domain: str) -> list[KnownServer]:
    """What the store learned from bounces of our own mail; nothing when there is no store yet."""
    url = settings.storage.url
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).exists():
        return []  # a check must not create a store
    from bot.store.database import open_engine
    from bot.store.servers_store import known_servers_of

    try:
        engine = open_engine(url)
    except BounceCheckError:
        return []
    try:
        with engine.connect() as conn:
            return [s for s in known_servers_of(conn, [domain]) if s.source is ServerSource.BOUNCES]
    finally:
        engine.dispose()


def servers_json(servers: Iterable[KnownServer]) -> list[dict[str, Any]]:
    return [{"kind": kind, "value": value, "sources": sources} for kind, value, sources in merged_servers(servers)]


def merged_servers(servers: Iterable[KnownServer]) -> list[tuple[str, str, list[str]]]:
    """One (kind, value, sources) per server, in the order first seen (pure)."""
    found: dict[tuple[str, str], dict[str, None]] = {}
    for server in servers:
        found.setdefault((str(server.kind), server.value), {})[str(server.source)] = None
    return [(kind, value, list(sources)) for (kind, value), sources in found.items()]


def zone_json(result: ZoneResult) -> dict[str, Any]:
    return {"zone": result.zone, "list": result.list, "status": result.status.value, "codes": list(result.codes),
            "meaning": result.meaning, "txt": result.txt, "delist_url": result.delist_url, "problem": result.problem}


def posture_json(posture: Posture | None) -> dict[str, Any] | None:
    if posture is None:
        return None
    return {
        "spf": {"present": _present(posture.spf_record, posture.spf_lookup_problem), "record": posture.spf_record,
                "valid": posture.spf_valid, "all": posture.spf_all, "lookups": posture.spf_lookups,
                "error": posture.spf_error, "lookup_problem": posture.spf_lookup_problem},
        "dmarc": {"present": _present(posture.dmarc_record, posture.dmarc_lookup_problem),
                  "record": posture.dmarc_record, "policy": posture.dmarc_policy,
                  "subdomain_policy": posture.dmarc_subdomain_policy, "rua": list(posture.dmarc_rua),
                  "error": posture.dmarc_error, "lookup_problem": posture.dmarc_lookup_problem},
        "advice": list(posture.advice),
    }


def _present(record: str | None, lookup_problem: str) -> bool | None:
    """True / False, or None (unknown) when no record came back from a lookup that failed."""
    return True if record is not None else None if lookup_problem else False


def result_json(result: CheckResult) -> dict[str, Any]:
    """The `check --json` object of DESIGN.md (pure)."""
    not_public = dict(result.not_public)
    return {
        "target": result.target,
        "type": result.target_type,
        "checked_at": result.checked_at.isoformat(),
        "verdict": result.verdict.value,
        "problems": list(result.problems),
        "ips": [{"ip": c.ip, "sources": list(c.sources), "ptr": c.ptr, "results": [zone_json(r) for r in c.results],
                 "not_public": not_public.get(c.ip, "")} for c in result.ips],
        "domain_results": [zone_json(r) for r in result.domain_results],
        "broken_zones": list(result.broken_zones),
        "posture": posture_json(result.posture),
        "notes": list(result.notes),
        "servers": servers_json(result.servers),
    }


_STATUS_TEXT = {ListingStatus.LISTED: "LISTED", ListingStatus.NOT_LISTED: "not listed",
                ListingStatus.ERROR: "error", ListingStatus.TIMEOUT: "timeout"}


def render_text(result: CheckResult) -> str:
    """A compact table, verdict first; only the lists that did not answer "not listed" get a row (pure)."""
    lines = [f"{result.verdict.value.upper()}  {result.target} ({result.target_type}), "
             f"checked {result.checked_at:%Y-%m-%d %H:%M:%S %Z}".rstrip()]
    if result.problems:
        lines.append("could not tell, because:" if result.verdict is Verdict.UNKNOWN else "could not check:")
        lines.extend(f"  - {problem}" for problem in result.problems)
    lines.append("")
    broken = set(result.broken_zones)
    not_public = dict(result.not_public)
    for check in result.ips:
        sources = f"{check.ip:<40} {','.join(check.sources) or '-':<14}"
        if check.ip in not_public:
            lines.append(f"{sources} not checked: not a public address ({not_public[check.ip]})")
            continue
        shown = [r for r in check.results if r.zone not in broken]
        lines.append(f"{sources} {_summary(shown)}  ptr {check.ptr or '-'}")
        lines.extend(_zone_rows(shown))
    if result.target_type == "domain":
        shown = [r for r in result.domain_results if r.zone not in broken]
        lines.append(f"{result.target:<40} {'domain lists':<14} {_summary(shown)}")
        lines.extend(_zone_rows(shown))
    if result.broken_zones:
        lines.append(f"broken zones (answers ignored): {', '.join(result.broken_zones)}")
    lines.extend(_posture_lines(result.posture))
    lines.extend(_server_lines(result.servers))
    for title, items in (("advice", result.posture.advice if result.posture else ()), ("notes", result.notes)):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  - {item}" for item in items)
    return "\n".join(lines) + "\n"


def _summary(rows: Sequence[ZoneResult]) -> str:
    listed = [r.list + (" (info)" if r.informational else "") for r in rows if r.status is ListingStatus.LISTED]
    unanswered = sum(r.status in (ListingStatus.ERROR, ListingStatus.TIMEOUT) for r in rows)
    if listed:
        text = f"listed on {', '.join(listed)}"
    elif unanswered:
        text = f"not listed on {len(rows) - unanswered}/{len(rows)} lists"
    else:
        text = f"clean on {len(rows)} lists"
    return text + (f", {unanswered} unanswered" if unanswered else "")


def _zone_rows(results: Iterable[ZoneResult]) -> list[str]:
    rows = []
    unanswered: dict[tuple[str, str], list[str]] = {}  # (status, why) → lists: one row per way of failing
    for r in results:
        if r.status is ListingStatus.NOT_LISTED:
            continue
        info = " (info only)" if r.informational else ""
        if r.status is not ListingStatus.LISTED and not r.codes:
            unanswered.setdefault((_STATUS_TEXT[r.status], r.problem or r.meaning), []).append(r.list + info)
            continue
        codes = ",".join(r.codes)
        detail = " ".join(part for part in (codes, r.problem or r.meaning, r.txt and f"“{r.txt}”") if part)
        rows.append(f"    {_STATUS_TEXT[r.status]:<10} {r.list + info:<28} {detail}")
        if r.status is ListingStatus.LISTED and r.delist_url:
            rows.append(f"    {'':<10} {'':<28} delist: {r.delist_url}")
    rows += [f"    {status:<10} {', '.join(lists) + ':':<28} {why}" for (status, why), lists in unanswered.items()]
    return rows


def _server_lines(servers: Iterable[KnownServer]) -> list[str]:
    merged = merged_servers(servers)
    if not merged:
        return []
    lines = ["", "our servers (mail that left through none of them is forged):"]
    lines += [f"  {kind:<16} {value:<40} {', '.join(sources)}" for kind, value, sources in merged]
    return lines


def _posture_lines(posture: Posture | None) -> list[str]:
    if posture is None:
        return []
    if posture.spf_record:
        state = {True: "valid", False: f"INVALID: {posture.spf_error}",
                 None: f"incomplete: {posture.spf_lookup_problem}"}[posture.spf_valid]
        spf = f"{posture.spf_record}  [{state}, {posture.spf_all or 'no all'}, {posture.spf_lookups} lookups]"
    elif posture.spf_lookup_problem:
        spf = f"could not look up: {posture.spf_lookup_problem}"
    else:
        spf = posture.spf_error or "none published"
    if posture.dmarc_record:
        dmarc = (f"p={posture.dmarc_policy} sp={posture.dmarc_subdomain_policy} "
                 f"rua={','.join(posture.dmarc_rua) or '-'}")
        dmarc += f"  [{posture.dmarc_error}]" if posture.dmarc_error else ""
    elif posture.dmarc_lookup_problem:
        dmarc = f"could not look up: {posture.dmarc_lookup_problem}"
    else:
        dmarc = posture.dmarc_error or "none published"
    return ["", f"SPF:   {spf}", f"DMARC: {dmarc}"]
