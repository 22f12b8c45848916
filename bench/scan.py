"""Mailbox scan speed and memory against a real Dovecot, on made-up mail of varied formats.

Usage (from the repository root, so `tests` imports): .venv/bin/python -m bench.scan [--first N]
[--noop N,N] [--rss N] [--maildir N,N] [--runs R] [--only first|noop|rss|maildir]

- first: a first scan of an N-message mailbox (default 10,000) including fetch, parse and store,
  in messages per second. The first run also pays Dovecot's indexing of the fresh Maildir; the
  median is over R runs, each with an empty database.
- noop: a scan that finds nothing new (connect, TLS, login, EXAMINE, store check), median
  milliseconds of 20 scans, for each mailbox size listed (default 1,000 and 10,000).
- rss: peak RSS of a process that runs the first scan of an N-message mailbox (default 50,000).
- maildir: a local Maildir of N messages (default 10,000 and 100,000), no server: the first scan for reference,
  then the median of R scans that find nothing new (new/ and cur/ untouched), of R scans after a flag change
  (a message renamed in cur/: both listed, nothing read), one scan without the index as before issue 17, and
  the peak RSS of a process that runs one scan finding nothing new.
Targets (issue 3): first ≥ 500 msg/s; noop ≤ 50 ms at every size; rss ≤ 200 MB.
Target (issue 17): a Maildir scan finding nothing new ≤ 100 ms at 100,000 messages.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.config import MailboxSettings
from bot.mail.local_source import LocalSource
from bot.mail.scanner import ScanContext, scan_mailbox
from bot.mail.source import MailSource
from bot.models import Ownership
from bot.store.database import open_engine
from tests import mailgen
from tests.servers.dovecot import Dovecot, running_dovecot


def fill(server: Dovecot, count: int) -> None:
    for i, (raw, _) in enumerate(mailgen.mixed(count)):
        server.deliver(raw, name=f"{1732700000 + i}.M{i}P1.bench")


def scan(port: int, ca_file: str, user: str, password: str, db: Path) -> tuple[float, int]:
    box = MailboxSettings(name="bench", host="127.0.0.1", port=port, ca_file=ca_file, username=user,
                          password_env="BENCH_PW", backfill=timedelta(days=3650))
    return timed_scan(box, db, {"BENCH_PW": password})


def timed_scan(box: MailboxSettings, db: Path, environ: dict[str, str],
               source: Callable[[Engine], MailSource] | None = None) -> tuple[float, int]:
    """One scan_mailbox with its own engine, as one scheduled scan would run; (seconds, new messages)."""
    engine = open_engine(f"sqlite:///{db}")
    ctx = ScanContext(engine=engine, ownership=Ownership(domains=("example.com",)), domains=("example.com",),
                      environ=environ)
    started = time.perf_counter()
    (result,) = scan_mailbox(box, ctx, source(engine) if source else None)
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
    if "maildir" in args:
        started_kb = _status_kb("VmRSS")  # the interpreter and its imports: the start-up
        elapsed, found = scan_local(Path(args["maildir"]), Path(args["db"]))
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent, here a big one.
        print(found, f"{elapsed:.4f}", _status_kb("VmHWM"), started_kb)
        return
    elapsed, found = scan(args["port"], args["ca"], args["user"], args["password"], Path(args["db"]))
    print(found, f"{elapsed:.2f}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --------------------------------------------------------------------------- local Maildir (issue 17)


def fill_maildir(root: Path, count: int) -> None:
    """`count` messages as a delivery agent and a mail client leave them: new/ unread, cur/ read (":2,S")."""
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    for i, (raw, _) in enumerate(mailgen.mixed(count)):
        name = f"{1732700000 + i}.M{i}P1.bench"
        (root / "cur" / f"{name}:2,S" if i % 2 else root / "new" / name).write_bytes(raw)


def scan_local(root: Path, db: Path, *, indexed: bool = True) -> tuple[float, int]:
    """One scan_mailbox of a Maildir with its own engine; (seconds, new messages).

    The source is given the store for its index here; `bot.mail.scanner._default_source` does not pass it yet.
    """
    box = MailboxSettings(name="bench", path=str(root), backfill=timedelta(days=3650))
    return timed_scan(box, db, {}, lambda engine: LocalSource(box, engine if indexed else None))


def bench_maildir(sizes: list[int], runs: int) -> None:
    for count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root, db = Path(tmp) / "Maildir", Path(tmp) / "maildir.db"
            fill_maildir(root, count)
            elapsed, found = scan_local(root, db)
            assert found == count, (found, count)
            print(f"Maildir of {count:,}: first scan {elapsed:.1f} s = {count / elapsed:.0f} msg/s")
            _age(root)  # as a while after the last delivery; the first scan after it lists once more
            elapsed, found = scan_local(root, db)
            assert found == 0
            print(f"  first scan finding nothing new, new/ and cur/ changed since listed: {elapsed * 1000:.0f} ms")
            _report(count, "nothing new", [_noop(root, db) for _ in range(runs)])
            _report(count, "nothing new after a flag change", [_flag_change(root, db) for _ in range(runs)])
            elapsed, found = scan_local(root, db, indexed=False)
            assert found == 0
            print(f"  nothing new without the index (as before): {elapsed:.2f} s")
            args = json.dumps({"maildir": str(root), "db": str(db)})
            done = subprocess.run([sys.executable, "-m", "bench.scan", "--child", args], capture_output=True,
                                  text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
            found_s, elapsed_s, peak_kb, started_kb = done.stdout.split()
            assert found_s == "0"
            print(f"  one scan finding nothing new in its own process: {float(elapsed_s) * 1000:.1f} ms, "
                  f"peak RSS {int(peak_kb) / 1024:.0f} MB (start-up {int(started_kb) / 1024:.0f} MB)")


def _noop(root: Path, db: Path) -> float:
    elapsed, found = scan_local(root, db)
    assert found == 0
    return elapsed


def _flag_change(root: Path, db: Path) -> float:
    """A mail client marks one read message answered: a rename in cur/, then a scan."""
    name = min(path.name for path in (root / "cur").iterdir())  # the same message each time
    flags = name.partition(":2,")[2]
    (root / "cur" / name).rename(root / "cur" / f"{name.partition(':')[0]}:2,{'S' if 'R' in flags else 'RS'}")
    _age(root)
    return _noop(root, db)


def _age(root: Path) -> None:
    """Move new/'s and cur/'s mtimes a minute back, as the clock moving on would leave them."""
    old = time.time_ns() - 60 * 10**9
    for sub in ("new", "cur"):
        os.utime(root / sub, ns=(old, old))


def _report(count: int, what: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(f"  {what} in {count:,} messages: median {statistics.median(ms):.1f} ms "
          f"(min {min(ms):.1f}, max {max(ms):.1f}, {len(ms)} runs; target <= 100 ms)")


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--noop", default="1000,10000")
    parser.add_argument("--rss", type=int, default=50_000)
    parser.add_argument("--maildir", default="10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["first", "noop", "rss", "maildir"])
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
    if args.only in (None, "maildir"):
        bench_maildir([int(n) for n in args.maildir.split(",")], max(args.runs, 5))


if __name__ == "__main__":
    main()
