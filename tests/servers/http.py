"""Probes of a running bot's /healthz. Used by tests/slack/test_runner.py, tests/e2e/* and bench/http_abuse.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def healthz(url: str) -> int:
    return health(url)[0]


def health(url: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of /healthz; (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return 0, {}


def alive(url: str) -> bool:
    """The bot answers and can work: ok, or degraded (a mailbox or DNS it depends on is failing)."""
    return health(url)[1].get("status") in ("ok", "degraded")
