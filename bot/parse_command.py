"""`bouncecheck parse [--json] PATH...`: parse local messages and print one report per message.

Called by `bot.cli`. JSON lines follow the contract in DESIGN.md (built in `report_json` only);
the human output is a compact table. An unreadable file prints an error line and the run goes
on; the exit status is then 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from bot.bounces import DEFAULT_MAX_BYTES, parse
from bot.bounces.origin import ownership_from
from bot.config import Settings
from bot.mail.local import LocalMessage, iter_path
from bot.models import Report

JsonObject = dict[str, object]


def run_parse(paths: Sequence[str], *, as_json: bool, settings: Settings, out: TextIO) -> int:
    """Parse every message under `paths`; 0 when all could be read, 1 otherwise."""
    ownership = ownership_from(settings.monitor)
    max_bytes = max((box.max_message_bytes for box in settings.mailboxes), default=DEFAULT_MAX_BYTES)
    failed = False
    table = TableWriter(out)
    for item in _messages(paths, max_bytes):
        if item.error is not None:
            failed = True
            if as_json:
                out.write(json.dumps({"source": item.source, "error": item.error}) + "\n")
            else:
                table.error(item.source, item.error)
            continue
        report = parse(item.raw, ownership=ownership, max_bytes=max_bytes)
        if as_json:
            out.write(json.dumps(report_json(item.source, report), ensure_ascii=False) + "\n")
        else:
            table.row(item.source, report)
    return 1 if failed else 0




def _messages(paths: Iterable[str], max_bytes: int) -> Iterable[LocalMessage]:
    for name in paths:
        path = Path(name)
        if not path.exists():
            yield LocalMessage(source=name, error="no such file or directory")
            continue
        yield from iter_path(path, max_bytes)


def report_json(source: str, report: Report) -> JsonObject:
    """The `parse --json` object of one message (DESIGN.md contract; extra keys are additive)."""
    original = report.original
    obj: JsonObject = {
        "source": source,
        "kind": str(report.kind),
        "mta": report.mta,
        "reporting_mta": report.reporting_mta,
        "recipients": [
            {
                "address": r.address,
                "action": str(r.action),
                "status": r.status,
                "reply_code": r.reply_code,
                "reason": str(r.reason),
                "hard": r.hard,
                "diagnostic": r.diagnostic,
                "remote_mta": r.remote_mta,
            }
            for r in report.recipients
        ],
        "original": None if original is None else {
            "message_id": original.message_id,
            "from": original.from_address,
            "to": original.to,
            "subject": original.subject,
            "date": original.date,
            "ours": original.ours,
            "ours_evidence": original.ours_evidence or None,
            "origin_basis": str(original.basis),
            "return_path": original.return_path,
            "first_hop_ip": original.first_hop_ip,
        },
        "cited_blocklists": list(report.cited_blocklists),
    }
    if report.truncated:
        obj["truncated"] = True
    if report.error:
        obj["parse_error"] = report.error
    return obj


class TableWriter:
    """The human output: one line per recipient (or per message when it has none)."""

    HEADER = f"{'SOURCE':<34} {'KIND':<10} {'MTA':<10} {'RECIPIENT':<30} {'STATUS':<7} {'CODE':<4} " \
             f"{'REASON':<15} {'HARD':<4} OURS"

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._started = False

    def _start(self) -> None:
        if not self._started:
            self._out.write(self.HEADER + "\n")
            self._started = True

    def row(self, source: str, report: Report) -> None:
        self._start()
        ours = "-" if report.original is None or report.original.ours is None else (
            "yes" if report.original.ours else "no")
        lead = f"{_fit(source, 34)} {report.kind:<10} {_fit(report.mta or '-', 10)}"
        if not report.recipients:
            self._out.write(f"{lead} {'-':<30} {'-':<7} {'-':<4} {'-':<15} {'-':<4} {ours}\n")
            return
        for r in report.recipients:
            self._out.write(
                f"{lead} {_fit(r.address or '-', 30)} {r.status or '-':<7} {r.reply_code or '-':<4} "
                f"{r.reason:<15} {'yes' if r.hard else 'no':<4} {ours}\n"
            )
            lead = f"{'':<34} {'':<10} {'':<10}"
        if report.cited_blocklists:
            self._out.write(f"{'':<34} blocklists: {', '.join(report.cited_blocklists)}\n")

    def error(self, source: str, why: str) -> None:
        self._start()
        self._out.write(f"{_fit(source, 34)} error: {why}\n")


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else "…" + text[-(width - 1) :]
