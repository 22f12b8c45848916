"""Shared test helpers: servers that must exist under CI, ephemeral ports."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_binary(name: str) -> str:
    """Path of a server binary; under CI=true a missing one fails the test instead of skipping it."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)
    if path:
        return path
    message = f"{name} is not installed (Debian package needed; .ci/run installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True, scope="session")
def _no_system_resolver() -> Iterator[None]:
    """Tests talk to loopback only: a resolver left on the system settings gets a dead loopback
    address instead of /etc/resolv.conf, so a forgotten `[dns] nameservers` fails loudly here."""
    import dns.resolver

    original = dns.resolver.Resolver.read_resolv_conf

    def loopback_only(self: dns.resolver.Resolver, _file: object = None) -> None:
        self.nameservers = ["127.0.0.1"]
        self.port = 9  # discard: nothing answers

    dns.resolver.Resolver.read_resolv_conf = loopback_only  # type: ignore[method-assign,assignment]
    yield
    dns.resolver.Resolver.read_resolv_conf = original  # type: ignore[method-assign]
