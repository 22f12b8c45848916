"""`bouncecheck demo`: the parser over the bundled sample mailbox, printed as a table.

Needs no configuration or credentials; later issues grow it into the whole pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.bounces.command import run_parse
from bot.config import MonitorSettings, Settings

SAMPLE_MAILBOX = Path(__file__).resolve().parent / "samples" / "mailbox"
# What the sample's own mail looks like: example.com, sent from 203.0.113.10 (mail.example.com).
DEMO_SETTINGS = Settings(monitor=MonitorSettings(domains=("example.com",), sending_ips=("203.0.113.10",),
                                                 sending_hosts=("mail.example.com",)))


def run_demo(out: TextIO) -> int:
    out.write(f"Parsing the sample postmaster mailbox {SAMPLE_MAILBOX} (Maildir, our domain example.com)\n\n")
    return run_parse([str(SAMPLE_MAILBOX)], as_json=False, settings=DEMO_SETTINGS, out=out)
