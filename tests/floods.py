"""Scripted bounce floods of each likely cause, for a domain whose servers only DNS knows (tests, benchmarks).

`victim.example` publishes `v=spf1 ip4:192.0.2.10 mx -all` with MX mx.victim.example (192.0.2.20);
`publish_victim(world)` puts that into the test DNS world. Its own mail leaves from 192.0.2.10 (or
through its MX host); forged mail from a botnet at 203.0.113.7 and nearby. Each `flood(cause, n)` is
a list of RFC 3464 bounces (tests/mailgen.py) whose numbers make that cause the right answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.models import Cause
from tests import mailgen
from tests.servers.dns import World

VICTIM = "victim.example"
OUR_IP = "192.0.2.10"
OUR_MX = "mx.victim.example"
OUR_MX_IP = "192.0.2.20"
BOTNET_IP = "203.0.113.7"

_serial = itertools.count(1)


def publish_victim(world: World) -> None:
    world.add(VICTIM, "TXT", f"v=spf1 ip4:{OUR_IP} mx -all")
    world.add(VICTIM, "MX", f"10 {OUR_MX}")
    world.add(OUR_MX, "A", OUR_MX_IP)
    world.add(f"_dmarc.{VICTIM}", "TXT", "v=DMARC1; p=none")


def ours(sender: str, recipient: str) -> str:
    """The header block of a message we sent: it left through our server."""
    n = next(_serial)
    return (f"Return-Path: <{sender}>\n"
            f"Received: from out.{VICTIM} (out.{VICTIM} [{OUR_IP}]) by mx.receiver.example.org; "
            "Mon, 30 Nov 2026 10:00:00 +0000\n"
            f"From: {sender}\nTo: {recipient}\nSubject: Our mail {n}\nMessage-ID: <ours-{n}@{VICTIM}>\n")


def forged(recipient: str) -> str:
    """The header block of spam forged in our name: a botnet host, no signature, its own Message-ID."""
    n = next(_serial)
    return (f"Received: from pc{n}.dsl.example.net ([{BOTNET_IP}]) by mx.receiver.example.org; "
            "Mon, 30 Nov 2026 10:00:00 +0000\n"
            f"From: Pharmacy <sales{n}@{VICTIM}>\nTo: {recipient}\nSubject: cheap pills {n}\n"
            f"Message-ID: <{n:08x}.{n}@pc{n}.dsl.example.net>\n")


def _bounce(recipient: str, original: str, diagnostic: str, status: str, *, sender: str = f"news@{VICTIM}",
            quote_original: bool = True) -> bytes:
    return mailgen.dsn(recipient=recipient, sender=sender, status=status, diagnostic=f"smtp; {diagnostic}",
                       original=original, quote_original=quote_original)


def backscatter(n: int) -> list[bytes]:
    return [_bounce(f"u{i}@r{i % 9}.example.org", forged(f"u{i}@r{i % 9}.example.org"),
                    "550 5.1.1 User unknown", "5.1.1", sender=f"sales{i}@{VICTIM}") for i in range(n)]


def blacklisted(n: int) -> list[bytes]:
    text = f"554 5.7.1 Service unavailable; Client host [{OUR_IP}] blocked using zen.spamhaus.org"
    return [_bounce(f"c{i}@r{i % 9}.example.org", ours(f"news@{VICTIM}", f"c{i}@r{i % 9}.example.org"),
                    text, "5.7.1") for i in range(n)]


def compromised(n: int) -> list[bytes]:
    sender = f"alice@{VICTIM}"
    return [_bounce(f"x{i}@d{i % 40}.example.net", ours(sender, f"x{i}@d{i % 40}.example.net"),
                    "550 5.7.1 Message rejected as spam", "5.7.1", sender=sender) for i in range(n)]


def bad_list(n: int) -> list[bytes]:
    return [_bounce(f"old{i}@r{i % 9}.example.org", ours(f"news@{VICTIM}", f"old{i}@r{i % 9}.example.org"),
                    "550 5.1.1 User unknown", "5.1.1") for i in range(n)]


def remote_problem(n: int) -> list[bytes]:
    return [_bounce(f"m{i}@bigmail.example", ours(f"news@{VICTIM}", f"m{i}@bigmail.example"),
                    "552 5.2.2 Mailbox full", "5.2.2") for i in range(n)]


def headerless(n: int) -> list[bytes]:
    """Bounces that return only the report: nothing says whose mail it was."""
    return [_bounce(f"h{i}@r{i % 9}.example.org", "", "550 5.1.1 User unknown", "5.1.1", quote_original=False)
            for i in range(n)]


FLOODS: dict[Cause, Callable[[int], list[bytes]]] = {
    Cause.BACKSCATTER: backscatter,
    Cause.BLACKLISTED: blacklisted,
    Cause.COMPROMISED_SENDER: compromised,
    Cause.BAD_RECIPIENTS: bad_list,
    Cause.REMOTE_PROBLEM: remote_problem,
}
