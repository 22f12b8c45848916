"""`bouncecheck outbox [list|retry|discard] [IDS...]`: the messages Slack refused for good, and what to do with them.

`list` (the default) shows the dead letters with why Slack refused each, and how many messages wait;
`retry` puts them (all, or the ids given) back in the queue once the cause is fixed (the channel
exists, the bot is invited): the running bot sends them at its next delivery run, in order, with
the messages of their incidents that waited behind them; `discard` gives the ids given up for good.
Reads and writes the store only; it needs no Slack token.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings
from bot.errors import UsageError
from bot.store import outbox_store
from bot.store.database import open_engine

EXIT_OK, EXIT_FAILURE = 0, 1


def run_outbox(settings: Settings, action: str, ids: Sequence[int], *, as_json: bool, out: TextIO) -> int:
    if action == "discard" and not ids:
        raise UsageError("outbox discard: name the ids to give up (see `bouncecheck outbox list`)")
    engine = open_engine(settings.storage.url)
    try:
        now = datetime.now(UTC)
        with engine.connect() as conn:
            letters = outbox_store.dead_letters(conn, ids)
            facts = outbox_store.delivery_facts(conn)
        missing = sorted(set(ids) - {letter.id for letter in letters})
        if action == "list":
            _print_list(letters, facts, as_json=as_json, out=out)
        else:
            done = (outbox_store.revive(engine, [letter.id for letter in letters]) if action == "retry"
                    else outbox_store.discard(engine, now, [letter.id for letter in letters]))
            _print_done(action, done, missing, as_json=as_json, out=out)
        return EXIT_FAILURE if missing else EXIT_OK
    finally:
        engine.dispose()


def _print_list(letters: Sequence[outbox_store.DeadLetter], facts: outbox_store.DeliveryFacts, *, as_json: bool,
                out: TextIO) -> None:
    if as_json:
        print(json.dumps({"dead_letters": [asdict(letter) for letter in letters], "pending": facts.pending},
                         default=_iso, ensure_ascii=False), file=out)
        return
    if not letters:
        print("No dead letters: Slack took every message it was sent.", file=out)
    for letter in letters:
        where = f"incident {letter.incident_id}" if letter.incident_id is not None else "no incident"
        print(f"#{letter.id}  {letter.dead_at:%Y-%m-%d %H:%M} UTC  {letter.action}  {letter.channel or '(thread)'}  "
              f"{where}: {letter.error}" + (f"\n      {letter.summary}" if letter.summary else ""), file=out)
    if letters:
        print(f"\nFix the cause, then `bouncecheck outbox retry` (all) or `… retry {letters[0].id}`; "
              "`… discard ID` gives one up.", file=out)
    print(f"{facts.pending} message(s) waiting to be sent.", file=out)


def _print_done(action: str, done: int, missing: Sequence[int], *, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(json.dumps({action: done, "not_dead_letters": list(missing)}), file=out)
        return
    if action == "retry":
        print(f"{done} message(s) queued again; the running bot sends them at its next delivery run.", file=out)
    else:
        print(f"{done} message(s) given up.", file=out)
    if missing:
        print(f"not dead letters (already sent, or no such id): {', '.join(map(str, missing))}", file=out)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
