"""Parse speed: bouncecheck's parse() next to flufl.bounce's scan_message on the same files.

Usage: .venv/bin/python bench/parse_speed.py [--corpus DIR] [--runs N]

Both parsers see the same bytes, read into memory before timing (so disk and interpreter
start-up are excluded). flufl.bounce is given what it needs, a parsed `email.message.Message`,
and the time to build it is counted on its side, as parse() counts its own MIME parsing.
Prints messages per second (median of N runs) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import email
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.bounces import parse

# The shared corpus beside the checkout (../shared/corpus), wherever the checkout lives.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "emails"


def _bouncecheck(raw: bytes) -> object:
    return parse(raw)


def _flufl() -> Callable[[bytes], object] | None:
    try:
        from flufl.bounce import scan_message
    except ImportError:
        return None

    def run(raw: bytes) -> object:
        try:
            return scan_message(email.message_from_bytes(raw))
        except Exception as exc:  # flufl.bounce raises on some real bounces; count them, keep timing
            return exc

    return run


def one_run(fn: Callable[[bytes], object], messages: list[bytes]) -> tuple[float, int]:
    """Messages per second over the whole corpus, and how many raised."""
    failures = 0
    started = time.perf_counter()
    for raw in messages:
        if isinstance(fn(raw), Exception):
            failures += 1
    return len(messages) / (time.perf_counter() - started), failures


def report(name: str, rates: list[float], failures: int) -> float:
    rate = statistics.median(rates)
    extra = f"  ({failures} messages raised)" if failures else ""
    print(f"{name:<14} {rate:9.0f} msg/s  median of {len(rates)} runs (min {min(rates):.0f}, max {max(rates):.0f})"
          f"{extra}")
    return rate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    messages = [p.read_bytes() for p in files]
    size = sum(map(len, messages))
    print(f"corpus: {len(messages)} messages, {size / 1024 / 1024:.1f} MB from {args.corpus}")
    for raw in messages[:20]:  # warm-up: imports, regex compilation
        parse(raw)
    flufl = _flufl()
    ours: list[float] = []
    theirs: list[float] = []
    theirs_failed = 0
    for _ in range(args.runs):  # interleaved, so a busy machine slows both alike
        ours.append(one_run(_bouncecheck, messages)[0])
        if flufl is not None:
            rate, theirs_failed = one_run(flufl, messages)
            theirs.append(rate)
    ours_rate = report("bouncecheck", ours, 0)
    if flufl is None:
        print("flufl.bounce   not installed (pip install -e '.[bench]')")
    else:
        theirs_rate = report("flufl.bounce", theirs, theirs_failed)
        print(f"speed-up       {ours_rate / theirs_rate:9.2f}x")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS       {peak_kb / 1024:9.1f} MB (whole process, both parsers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
