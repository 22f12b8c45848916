"""Benchmark: one evaluation of every monitored domain over millions of stored bounce records, on both stores.

    .venv/bin/python bench/evaluate.py [--store sqlite|postgres|both] [--records N ...] [--domains N]
                                       [--days N] [--runs N]

For each store and each record count it fills a fresh store (SQLite in a temp dir; PostgreSQL on
127.0.0.1:5432, database `test`, in a throw-away schema), builds the hourly buckets as the v4
migration does, then times `evaluate` at successive scan times, cold (`scan --once`: no baseline
cache) and warm (the scheduler's cache), and prints the medians. Target (issue 10): <= 200 ms at
1,000 domains and 10 M records on both stores, flat as history grows. Every run reuses one pooled
connection; with `--runs 60` it also prints the first and the last ten calls apart (issue 17: no
plan cliff once psycopg has prepared the statements). To grow history alone, keep
the traffic per hour: `--records 1000000 --days 30`, then `--records 10000000 --days 300`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.config import settings_from_mapping
from bot.monitor.evaluate import evaluate
from bot.store.buckets import rebuild
from bot.store.database import open_engine
from bot.store.rates_queries import BaselineCache
from bot.store.schema import bounces

PG = "postgresql+psycopg://{user}@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REASONS = ("userunknown", "mailboxfull", "blocked", "spamdetected", "hostunknown", "expired", "systemerror")


def fill(engine: Engine, *, records: int, domains: list[str], days: int, flood: int = 5000, seed: int = 1) -> None:
    """`records` bounce rows spread over `days` before NOW, `flood` of them the first domain's in the last hour.

    The flood is the same size whatever the history, so 1 M against 10 M measures what history costs.
    """
    rng = random.Random(seed)
    span = days * 86400.0
    every = max(1, records // flood)

    def rows() -> Iterator[tuple[object, ...]]:
        for n in range(records):
            flood = n % every == 0  # the first domain's flood in the last hour
            domain = domains[0] if flood else rng.choice(domains)
            at = NOW - timedelta(seconds=rng.uniform(0, 3600 if flood else span))
            receiver = f"r{rng.randrange(2000)}.example"
            yield (1, domain, at.strftime("%Y-%m-%d %H:%M:%S.%f"), f"u{n}@{receiver}", receiver,
                   "failed" if rng.random() < 0.95 else "delayed", rng.choice(REASONS), rng.random() < 0.5,
                   f"s{rng.randrange(50)}@{domain}", f"mx{rng.randrange(100)}.example", rng.random() < 0.8,
                   f"192.0.2.{rng.randrange(1, 255)}", "zen.spamhaus.org" if rng.random() < 0.05 else None)

    columns = ("message_row, domain, occurred_at, recipient, recipient_domain, action, reason, hard, sender, "
               "reporting_mta, ours, first_hop_ip, cited_blocklists")
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("INSERT INTO messages (id, mailbox, folder, content_hash, received_at, scanned_at, kind) "
                    "VALUES (1, 'bench', 'INBOX', 'bench', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'bounce')")
        if engine.dialect.name == "sqlite":
            raw.executemany(f"INSERT INTO bounces ({columns}) VALUES ({', '.join('?' * 13)})", rows())
        else:
            with raw.cursor().copy(f"COPY bounces ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows():
                    copy.write_row(row)
    with engine.begin() as conn:
        rebuild(conn)  # what the v4 migration does for a store that already holds bounces
        conn.exec_driver_sql("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--flood", type=int, default=5000, help="bounces of the flooding domain in the last hour")
    args = parser.parse_args(argv)

    domains = [f"d{n:04d}.example" for n in range(args.domains)]
    settings = settings_from_mapping({"monitor": {"domains": domains, "alert_bounces": 50, "window": "1h"}}, "bench")
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    for store in stores:
        for records in args.records:
            with _store(store) as engine:
                started = time.perf_counter()
                fill(engine, records=records, domains=domains, days=args.days, flood=args.flood)
                print(f"[{store}] filled {records:,} bounce records in {time.perf_counter() - started:.0f} s",
                      file=sys.stderr)
                _time(engine, settings, store, records, args.domains, args.runs)
    return 0


def _time(engine: Engine, settings: object, store: str, records: int, domains: int, runs: int) -> None:
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(bounces)).scalar_one()
    # Cold: every evaluation reads the baseline (`scan --once`). Warm: the scheduler's baseline cache.
    for label, baselines in (("cold", None), ("warm", BaselineCache())):
        timings = []
        outcomes: list[object] = []
        for run in range(runs):
            started = time.perf_counter()
            outcomes = list(evaluate(engine, settings, NOW + timedelta(minutes=2 * run),  # type: ignore[arg-type]
                                     baselines=baselines))
            timings.append(time.perf_counter() - started)
        print(f"[{store}] evaluate ({label}): {domains} domains, {stored:,} stored bounce records, {runs} runs: "
              f"median {statistics.median(timings) * 1000:.0f} ms (min {min(timings) * 1000:.0f}, "
              f"max {max(timings) * 1000:.0f}); {len(outcomes)} open incident(s)", flush=True)
        if runs > 20:  # a plan that flips after psycopg prepares the statement shows as a late cliff
            early, late = timings[:10], timings[-10:]
            print(f"[{store}]   calls 1-10 median {statistics.median(early) * 1000:.0f} ms, "
                  f"calls {runs - 9}-{runs} median {statistics.median(late) * 1000:.0f} ms "
                  f"(max {max(late) * 1000:.0f})", flush=True)


class _store:
    """A fresh store of that kind, removed afterwards."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __enter__(self) -> Engine:
        if self.kind == "sqlite":
            self._tmp = tempfile.TemporaryDirectory()
            self.engine = open_engine(f"sqlite:///{Path(self._tmp.name) / 'bench.db'}")
        else:
            import psycopg

            self._admin = psycopg.connect(host="127.0.0.1", port=5432, dbname="test", user="postgres",
                                          autocommit=True)
            self._schema = f"bc_bench_{uuid.uuid4().hex[:8]}"
            self._admin.execute(f'CREATE SCHEMA "{self._schema}"')
            self.engine = open_engine(PG.format(user="postgres", schema=self._schema))
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self.engine.dispose()
        if self.kind == "sqlite":
            self._tmp.cleanup()
        else:
            self._admin.execute(f'DROP SCHEMA "{self._schema}" CASCADE')
            self._admin.close()


if __name__ == "__main__":
    sys.exit(main())
