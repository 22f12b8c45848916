"""`bouncecheck demo`: the whole pipeline on embedded defaults, honest when DNS is out of reach."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import free_port


def run_demo(*args: str, output_dir: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--output-dir", str(output_dir), *args],
                            capture_output=True, text=True, timeout=60)
    return result, time.monotonic() - started


def test_offline_demo_shows_an_incident_card_thread_and_answer(tmp_path: Path) -> None:
    result, took = run_demo("--offline", output_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[5/5]" in out
    assert "Bounce flood on example.com" in out
    assert "Likely cause: Backscatter" in out
    assert "Incident opened:" in out and "Bounces rose to" in out
    # No lookup happened, so nothing may claim the domain is clean.
    assert "could not run: DNS not queried (--offline)" in out.split("/bouncecheck example.com")[0]
    assert "None of our IPs or domains is listed" not in out
    assert "Could not tell whether example.com is listed" in out
    answer = out.split("/bouncecheck example.com")[1]
    assert "the check could not run: DNS not queried (--offline)" in answer and "unknown: " not in answer
    header = next(line for line in out.splitlines() if "Bounce flood on example.com" in line)
    assert header.count("🔴") == 1, f"the state is said once on the header line: {header!r}"
    card = json.loads((tmp_path / "incident-1-card.json").read_text())
    card_blocks = card.get("blocks", []) + [b for a in card.get("attachments", []) for b in a["blocks"]]
    assert any(block.get("type") == "actions" for block in card_blocks)
    assert (tmp_path / "bouncecheck-answer.json").exists()
    assert took < 15


def test_unreachable_resolver_says_unknown_not_clean(tmp_path: Path) -> None:
    # A loopback port with nothing behind it: every query times out.
    result, _ = run_demo("--dns-server", f"127.0.0.1:{free_port()}", output_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    card, answer = result.stdout.split("/bouncecheck example.com (only you can see this)")
    assert "❔ Unknown: the check at" in card and "no blacklist could be checked" in card
    assert "✅" not in card and "✅" not in answer
