"""A stand-in for bot.reputation.check.check_target: IPs listed on Spamhaus ZEN as a test says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Settings
from bot.errors import DNSError
from bot.models import CheckResult, IPCheck, ListingStatus, Posture, Verdict, ZoneResult
from tests.monitor.conftest import T0

OUR_IP = "192.0.2.10"


@dataclass
class FakeChecker:
    listed: set[str] = field(default_factory=set)  # IPs listed on ZEN
    failing: set[str] = field(default_factory=set)  # domains whose check raises
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    at: datetime = T0  # the checks' checked_at

    def __call__(self, target: str, settings: Settings, *, bounce_ips: Sequence[str] = ()) -> CheckResult:
        self.calls.append((target, tuple(bounce_ips)))
        if target in self.failing:
            raise DNSError("the resolver did not answer")
        ips = tuple(dict.fromkeys([OUR_IP, *bounce_ips]))
        return CheckResult(
            target=target, target_type="domain", checked_at=self.at,
            ips=tuple(IPCheck(ip=ip, sources=("spf",), results=(self._zen(ip),)) for ip in ips),
            posture=Posture(spf_record=f"v=spf1 ip4:{OUR_IP} -all", dmarc_record="v=DMARC1; p=none",
                            dmarc_policy="none"),
            verdict=Verdict.LISTED if self.listed & set(ips) else Verdict.CLEAN)

    def _zen(self, ip: str) -> ZoneResult:
        listed = ip in self.listed
        return ZoneResult(zone="zen.spamhaus.org", list="Spamhaus ZEN",
                          status=ListingStatus.LISTED if listed else ListingStatus.NOT_LISTED,
                          codes=("127.0.0.2",) if listed else (), meaning="SBL" if listed else "",
                          delist_url="https://check.spamhaus.org/")
