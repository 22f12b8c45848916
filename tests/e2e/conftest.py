"""Fixtures for the end-to-end tests of the real `bouncecheck run` process.

The servers are the shared ones (tests/servers/): a real Dovecot (under CI=true a missing binary fails,
see tests.conftest.require_binary), the loopback DNS server and the Slack Web API stand-in. What is
new here is `BotProcess`: the bot as a subprocess in its own session, so a SIGKILL of the group takes
the server and the bot down together, as a crash of the machine would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers.dns import dns_server
from tests.servers.dovecot import Dovecot, dovecot
from tests.servers.http import alive, healthz
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL

__all__ = ["IMAP_PASSWORD_ENV", "BotProcess", "dns_server", "dovecot", "slack", "write_bot_config"]

ROOT = Path(__file__).resolve().parents[2]
# Variables that must not leak from the developer's shell into the bot under test.
_HOSTILE_ENV = ("SLACK_", "BOUNCECHECK_")


IMAP_PASSWORD_ENV = "E2E_IMAP_PASSWORD"


def write_bot_config(path: Path, *, dovecot: Dovecot, nameserver: str, slack: SlackStandIn, db: Path | str,
                     port: int, domain: str, window: str, alert_bounces: int, resolve_after: str = "2h") -> Path:
    """The config file of `bouncecheck run` in HTTP mode against the test servers: IMAPS, DNS, Slack.
    `db` is a SQLite file, or a SQLAlchemy URL (PostgreSQL)."""
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    path.write_text(f"""\
[storage]
url = "{url}"

[[mailboxes]]
name = "postmaster"
host = "127.0.0.1"
port = {dovecot.imaps_port}
security = "tls"
ca_file = "{dovecot.ca_file}"
username = "{dovecot.user}"
password_env = "{IMAP_PASSWORD_ENV}"
folders = ["INBOX"]
timeout = "5s"

[schedule]
scan_interval = "1s"
deliver_interval = "1s"
recheck_interval = "1h"
reputation_interval = "1h"

[monitor]
domains = ["{domain}"]
window = "{window}"
alert_bounces = {alert_bounces}
resolve_after = "{resolve_after}"
followup_floor = "1s"
baseline_days = 0

[dns]
nameservers = ["{nameserver}"]
timeout = "1s"

[slack]
mode = "http"
channel = "{CHANNEL}"
api_url = "{slack.api_url}"
bot_token_env = "SLACK_BOT_TOKEN"
signing_secret_env = "SLACK_SIGNING_SECRET"
http_host = "127.0.0.1"
http_port = {port}
""")
    return path


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


@dataclass
class BotProcess:
    """`python -m bot run --config FILE` as a child process; every start appends to one log file."""

    config: Path
    env: Mapping[str, str]
    url: str  # http://127.0.0.1:<http_port>
    log_path: Path
    wrapper: Sequence[str] = ()  # a command to run it under, e.g. `unshare --pid --fork` (another "machine")
    starts: int = 0
    process: subprocess.Popen[bytes] | None = None
    exit_codes: list[int] = field(default_factory=list)

    def start(self, timeout: float = 30) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith(_HOSTILE_ENV)}
        with self.log_path.open("ab") as log:
            log.write(f"----- start #{self.starts} -----\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [*self.wrapper, sys.executable, "-m", "bot", "-v", "run", "--config", str(self.config)],
                cwd=ROOT, env={**env, **self.env, "PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not alive(self.url):
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise AssertionError(f"bouncecheck run exited with {code} before it was healthy:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"/healthz did not answer ok or degraded within {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL to the whole process group: no handler, no clean shutdown, no flush."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self.exit_codes.append(process.wait(timeout=10))
        # Wait until the port is free again, so the next start cannot answer from a dying worker.
        deadline = time.monotonic() + 10
        while healthz(self.url) != 0 and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM (a clean stop); SIGKILL to the group if that takes longer than `timeout`."""
        process, self.process = self.process, None
        if process is None:
            return self.exit_codes[-1] if self.exit_codes else 0
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = -signal.SIGKILL
        # Whatever the master left behind (a stuck worker) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.exit_codes.append(code)
        return code

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
