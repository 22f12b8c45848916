"""Mailbox scan speed and memory against a real Dovecot, on made-up mail of varied formats.

Usage (from the repository root, so `tests` imports): .venv/bin/python -m bench.scan [--first N]
[--noop N,N] [--rss N] [--runs R] [--only first|noop|rss]

- first: a first scan of an N-message mailbox (default 10,000) including fetch, parse and store,
  in messages per second. The first run also pays Dovecot's indexing of the fresh Maildir; the
  median is over R runs, each with an empty database.
- noop: a scan that finds nothing new (connect, TLS, login, EXAMINE, store check), median
  milliseconds of 20 scans, for each mailbox size listed (default 1,000 and 10,000).
- rss: peak RSS of a process that runs the first scan of an N-message mailbox (default 50,000).
Targets (issue 3): first ≥ 500 msg/s; noop ≤ 50 ms at every size; rss ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.config import MailboxSettings
from bot.mail.scanner import ScanContext, scan_mailbox
from bot.models import Ownership
from bot.store.database import open_engine
from tests import mailgen
from tests.servers.dovecot import Dovecot, running_dovecot


def fill(server: Dovecot, count: int) -> None:
    for i, (raw, _) in enumerate(mailgen.mixed(count)):
        server.deliver(raw, name=f"{1732700000 + i}.M{i}P1.bench")


def scan(port: int, ca_file: str, user: str, password: str, db: Path) -> tuple[float, int]:
    """One scan_mailbox with its own engine, as one scheduled scan would run; (seconds, new messages)."""
    box = MailboxSettings(name="bench", host="127.0.0.1", port=port, ca_file=ca_file, username=user,
                          password_env="BENCH_PW", backfill=timedelta(days=3650))
    engine = open_engine(f"sqlite:///{db}")
    ctx = ScanContext(engine=engine, ownership=Ownership(domains=("example.com",)), domains=("example.com",),
                      environ={"BENCH_PW": password})
    started = time.perf_counter()
    (result,) = scan_mailbox(box, ctx)
    elapsed = time.perf_counter() - started
    engine.dispose()
    if result.errors:
        raise SystemExit(f"scan failed: {result.errors}")
    return elapsed, result.new_messages


def scan_server(server: Dovecot, db: Path) -> tuple[float, int]:
    return scan(server.imaps_port, server.ca_file, server.user, server.password, db)


def bench_first(count: int, runs: int) -> None:
    with running_dovecot() as server, tempfile.TemporaryDirectory() as tmp:
        fill(server, count)
        rates = []
        for run in range(runs):
            elapsed, found = scan_server(server, Path(tmp) / f"first{run}.db")
            assert found == count, (found, count)
            rates.append(count / elapsed)
            print(f"  first scan run {run + 1}: {count} messages in {elapsed:.2f} s = {count / elapsed:.0f} msg/s")
        print(f"first scan of {count:,} messages: median {statistics.median(rates):.0f} msg/s (target >= 500)")


def bench_noop(sizes: list[int]) -> None:
    for count in sizes:
        with running_dovecot() as server, tempfile.TemporaryDirectory() as tmp:
            fill(server, count)
            db = Path(tmp) / "noop.db"
            scan_server(server, db)
            times = []
            for _ in range(20):
                elapsed, found = scan_server(server, db)
                assert found == 0
                times.append(elapsed * 1000)
            print(f"scan finding nothing new in {count:,} messages: median {statistics.median(times):.1f} ms "
                  f"(min {min(times):.1f}, max {max(times):.1f}; target <= 50 ms)")


def bench_rss(count: int) -> None:
    with running_dovecot() as server, tempfile.TemporaryDirectory() as tmp:
        fill(server, count)
        args = json.dumps({"port": server.imaps_port, "ca": server.ca_file, "user": server.user,
                           "password": server.password, "db": str(Path(tmp) / "rss.db")})
        done = subprocess.run([sys.executable, "-m", "bench.scan", "--child", args], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
        found, elapsed, rss_kb = done.stdout.split()
        print(f"first scan of {int(found):,} messages in {float(elapsed):.1f} s: peak RSS "
              f"{int(rss_kb) / 1024:.0f} MB (target <= 200 MB)")


def child(raw: str) -> None:
    """The measured process: only the scanner, so its peak RSS is the scanner's."""
    args = json.loads(raw)
    elapsed, found = scan(args["port"], args["ca"], args["user"], args["password"], Path(args["db"]))
    print(found, f"{elapsed:.2f}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--noop", default="1000,10000")
    parser.add_argument("--rss", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["first", "noop", "rss"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.only in (None, "first"):
        bench_first(args.first, args.runs)
    if args.only in (None, "noop"):
        bench_noop([int(n) for n in args.noop.split(",")])
    if args.only in (None, "rss"):
        bench_rss(args.rss)


if __name__ == "__main__":
    main()
