"""End to end: the scheduler scans a real Dovecot, checks a real (loopback) DNS server, opens one incident."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.config import Settings, settings_from_mapping
from bot.jobs import build_scheduler
from bot.models import IncidentState, Listing
from bot.store import incidents_store
from bot.store.database import open_engine
from tests import mailgen
from tests.fakes import Recorder
from tests.servers.dns import LISTED_IP, SPF_DOMAIN, DNSServer, dns_server
from tests.servers.dovecot import Dovecot, dovecot

__all__ = ["dns_server", "dovecot"]

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]
FLOOD = 25


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    yield engine
    engine.dispose()


def bot_settings(server: Dovecot, dns: DNSServer) -> Settings:
    return settings_from_mapping({
        "mailboxes": [{"name": "postmaster", "host": "127.0.0.1", "port": server.imaps_port,
                       "ca_file": server.ca_file, "username": server.user, "password_env": "TEST_IMAP_PW"}],
        "schedule": {"scan_interval": "1s", "recheck_interval": "1h", "reputation_interval": "1h"},
        "monitor": {"domains": [SPF_DOMAIN], "sending_ips": [LISTED_IP], "alert_bounces": 20},
        "dns": {"nameservers": [dns.nameserver], "timeout": "1s"},
    }, "integration")


def test_scheduler_against_dovecot_and_dns(dovecot: Dovecot, dns_server: DNSServer, engine: Engine) -> None:
    for n in range(FLOOD):
        dovecot.deliver(mailgen.dsn(recipient=f"gone{n}@remote{n % 3}.example.org", sender=f"news@{SPF_DOMAIN}"))
    notifier = Recorder()
    scheduler = build_scheduler(bot_settings(dovecot, dns_server), engine, notifier,
                                env={"TEST_IMAP_PW": dovecot.password})
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                found = incidents_store.unresolved(conn)
            if found and found[0].bounces_in_window == FLOOD and found[0].listings:
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)

    assert notifier.notices == []
    [incident] = found
    assert (incident.domain, incident.state, incident.bounces_in_window) == (SPF_DOMAIN, IncidentState.OPEN, FLOOD)
    assert Listing(LISTED_IP, "zen.spamhaus.org") in incident.listings
    kinds = [str(event.kind) for _, events in notifier.notified for event in events]
    assert kinds.count("opened") == 1
    with engine.connect() as conn:
        check = incidents_store.latest_checks(conn, [SPF_DOMAIN])[SPF_DOMAIN]
    assert check.verdict.value == "listed"
