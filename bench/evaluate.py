"""Benchmark: one evaluation of 100 domains over 1,000,000 stored bounce records (30 days) on SQLite.

    .venv/bin/python bench/evaluate.py [--records N] [--domains N] [--days N] [--runs N] [--db PATH]

Fills a temporary SQLite store (or reuses --db if it already holds bounces), then times `evaluate`
at successive scan times and prints the median. Target: < 1 s per evaluation.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.config import settings_from_mapping
from bot.monitor.evaluate import evaluate
from bot.store.database import open_engine
from bot.store.rates_queries import BaselineCache
from bot.store.schema import bounces

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REASONS = ("userunknown", "mailboxfull", "blocked", "spamdetected", "hostunknown", "expired", "systemerror")


def fill(engine: Engine, *, records: int, domains: list[str], days: int, seed: int = 1) -> None:
    """`records` bounce rows spread over `days` before NOW; the first domain floods in the last hour."""
    rng = random.Random(seed)
    span = days * 86400.0

    def rows() -> Iterator[tuple[object, ...]]:
        for n in range(records):
            flood = n % 100 == 0  # 1 % of the rows: the first domain's flood in the last hour
            domain = domains[0] if flood else rng.choice(domains)
            at = NOW - timedelta(seconds=rng.uniform(0, 3600 if flood else span))
            receiver = f"r{rng.randrange(2000)}.example"
            yield (1, domain, at.strftime("%Y-%m-%d %H:%M:%S.%f"), f"u{n}@{receiver}", receiver,
                   "failed" if rng.random() < 0.95 else "delayed", rng.choice(REASONS), rng.random() < 0.5,
                   f"s{rng.randrange(50)}@{domain}", f"mx{rng.randrange(100)}.example", rng.random() < 0.8,
                   f"192.0.2.{rng.randrange(1, 255)}", "zen.spamhaus.org" if rng.random() < 0.05 else None)

    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("INSERT INTO messages (id, mailbox, folder, content_hash, received_at, scanned_at, kind) "
                    "VALUES (1, 'bench', 'INBOX', 'bench', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'bounce')")
        raw.executemany(
            "INSERT INTO bounces (message_row, domain, occurred_at, recipient, recipient_domain, action, reason, "
            "hard, sender, reporting_mta, ours, first_hop_ip, cited_blocklists) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--db", type=Path, help="reuse this SQLite file (filled on first use)")
    args = parser.parse_args(argv)

    domains = [f"d{n:03d}.example" for n in range(args.domains)]
    settings = settings_from_mapping({"monitor": {"domains": domains, "alert_bounces": 50, "window": "1h"}}, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        engine = open_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(bounces)).scalar_one()
        if not stored:
            started = time.perf_counter()
            fill(engine, records=args.records, domains=domains, days=args.days)
            stored = args.records
            print(f"filled {stored:,} bounce records in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        # Cold: every evaluation reads the baseline (`scan --once`). Warm: the scheduler's baseline cache.
        for label, baselines in (("cold", None), ("warm", BaselineCache())):
            timings = []
            for run in range(args.runs):
                started = time.perf_counter()
                outcomes = evaluate(engine, settings, NOW + timedelta(minutes=2 * run), baselines=baselines)
                timings.append(time.perf_counter() - started)
            print(f"evaluate ({label}): {args.domains} domains, {stored:,} stored bounce records, {args.runs} runs: "
                  f"median {statistics.median(timings) * 1000:.0f} ms (min {min(timings) * 1000:.0f}, "
                  f"max {max(timings) * 1000:.0f}); {len(outcomes)} open incident(s)")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
