"""Reputation tests run against the loopback DNS server (tests/servers/dns.py), never the Internet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.models import CheckResult
from bot.reputation.check import check_target
from bot.reputation.resolver import Resolver
from tests.servers.dns import DNSServer, dns_server  # noqa: F401  (the fixture, re-exported)


@pytest.fixture
def resolver(dns_server: DNSServer) -> Resolver:  # noqa: F811
    """A fresh resolver (empty cache) pointed at the test server."""
    return Resolver(dns_server.settings())


@pytest.fixture
def check(dns_server: DNSServer) -> Callable[..., CheckResult]:  # noqa: F811
    """check_target against the test server with a fresh cache: check(target, dns={...}, monitor={...})."""

    def run(target: str, *, dns: dict[str, Any] | None = None, monitor: dict[str, Any] | None = None,
            env: dict[str, str] | None = None, bounce_ips: tuple[str, ...] = ()) -> CheckResult:
        settings = Settings.model_validate({"dns": dns_server.settings(**(dns or {})).model_dump(),
                                            "monitor": monitor or {}})
        return check_target(target, settings, bounce_ips=bounce_ips, resolver=Resolver(settings.dns),
                            env=env or {})

    return run
