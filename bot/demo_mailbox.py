"""The demo's sample postmaster mailbox: a few hundred messages written here, dated relative to now.

A backscatter flood against example.com, genuine bounces of our own mail, a run of blocklist
rejections of our outbound IP, plus ordinary mail and auto-replies. Used by `bouncecheck demo`
and by tests that need a realistic mix; deterministic for a given seed and clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

OUR_DOMAIN = "example.com"
OUR_IP = "192.0.2.10"
OUR_HOST = "mail.example.com"

_REMOTE_DOMAINS = ("example.net", "example.org", "mail.example", "corp.example", "shop.example",
                   "school.example", "isp.example", "telco.example")
_SPAM_SUBJECTS = ("Your invoice is ready", "Cheap watches", "Re: payment overdue", "You have won",
                  "Urgent: verify your account")
_FIRST_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleMessage:
    """One message of the sample mailbox and what it stands for."""

    name: str
    raw: bytes
    group: str  # backscatter / ours / blocklisted / ordinary / autoreply


def _dsn(*, when: datetime, reporting_mta: str, recipient: str, status: str, diagnostic: str,
         original_headers: str, boundary: str) -> str:
    # An RFC 3464 report as Postfix writes it: text part, delivery-status part, returned headers.
    date = format_datetime(when)
    return (
        f"Return-Path: <>\n"
        f"Received: by {reporting_mta} (Postfix) id 4A{boundary[:8]}; {date}\n"
        f"Date: {date}\n"
        f"From: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)\n"
        f"Subject: Undelivered Mail Returned to Sender\n"
        f"To: postmaster@{OUR_DOMAIN}\n"
        f"Auto-Submitted: auto-replied\n"
        f"Message-Id: <{boundary}@{reporting_mta}>\n"
        f"MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        f"\n"
        f"--{boundary}\n"
        f"Content-Type: text/plain; charset=us-ascii\n"
        f"\n"
        f"This is the mail system at host {reporting_mta}.\n\n"
        f"I'm sorry to have to inform you that your message could not\n"
        f"be delivered to one or more recipients.\n\n"
        f"<{recipient}>: host {reporting_mta} said: {diagnostic}\n"
        f"\n"
        f"--{boundary}\n"
        f"Content-Type: message/delivery-status\n"
        f"\n"
        f"Reporting-MTA: dns; {reporting_mta}\n"
        f"Arrival-Date: {date}\n"
        f"\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: failed\n"
        f"Status: {status}\n"
        f"Remote-MTA: dns; {reporting_mta}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n"
        f"\n"
        f"--{boundary}\n"
        f"Content-Type: text/rfc822-headers\n"
        f"\n"
        f"{original_headers}"
        f"\n"
        f"--{boundary}--\n"
    )


def _original_headers(*, when: datetime, sender: str, recipient: str, subject: str, ours: bool,
                      first_hop: str, rng: random.Random) -> str:
    date = format_datetime(when - timedelta(minutes=rng.randint(1, 20)))
    if ours:
        received = (f"Received: from {OUR_HOST} ({OUR_HOST} [{OUR_IP}])\n"
                    f"\tby mx.{recipient.split('@')[1]} with ESMTPS; {date}\n")
        dkim = f"DKIM-Signature: v=1; a=rsa-sha256; d={OUR_DOMAIN}; s=mail; h=from:to:subject; b=AbC=\n"
        message_id = f"<{rng.getrandbits(64):x}@{OUR_HOST}>"
    else:
        received = (f"Received: from unknown (HELO {rng.choice(_FIRST_NAMES)}-pc) [{first_hop}]\n"
                    f"\tby mx.{recipient.split('@')[1]} with SMTP; {date}\n")
        dkim = ""
        message_id = f"<{rng.getrandbits(48):x}.{rng.getrandbits(16):x}@{first_hop.replace('.', '-')}.example>"
    return (f"{received}{dkim}From: {sender}\nTo: {recipient}\nSubject: {subject}\nDate: {date}\n"
            f"Message-ID: {message_id}\n")


def _bounce(rng: random.Random, when: datetime, *, group: str) -> str:
    remote = rng.choice(_REMOTE_DOMAINS)
    reporting_mta = f"mx{rng.randint(1, 4)}.{remote}"
    boundary = f"{rng.getrandbits(64):016X}"
    if group == "backscatter":
        # Spam forged in our name: random local parts, strangers' first hops, random recipients.
        sender = f"{rng.choice(_FIRST_NAMES)}{rng.randint(100, 999)}@{OUR_DOMAIN}"
        recipient = f"{rng.choice(_FIRST_NAMES)}.{rng.randint(1, 9999)}@{remote}"
        first_hop = f"203.0.113.{rng.randint(1, 254)}"
        status, diagnostic = rng.choice((
            ("5.1.1", f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"),
            ("5.7.1", "550 5.7.1 Message rejected as spam by content filter"),
        ))
        headers = _original_headers(when=when, sender=sender, recipient=recipient,
                                    subject=rng.choice(_SPAM_SUBJECTS), ours=False, first_hop=first_hop, rng=rng)
    elif group == "blocklisted":
        sender = f"{rng.choice(_FIRST_NAMES[:4])}@{OUR_DOMAIN}"
        recipient = f"{rng.choice(_FIRST_NAMES)}@{remote}"
        status = "5.7.1"
        diagnostic = (f"554 5.7.1 Service unavailable; Client host [{OUR_IP}] blocked using "
                      f"zen.spamhaus.org; https://www.spamhaus.org/query/ip/{OUR_IP}")
        headers = _original_headers(when=when, sender=sender, recipient=recipient,
                                    subject="Quarterly report", ours=True, first_hop=OUR_IP, rng=rng)
    else:  # ours: ordinary bounces of our own mail
        sender = f"{rng.choice(_FIRST_NAMES[:4])}@{OUR_DOMAIN}"
        recipient = f"{rng.choice(('old', 'former', 'jdoe', 'sales'))}{rng.randint(1, 50)}@{remote}"
        status, diagnostic = rng.choice((
            ("5.1.1", f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in virtual mailbox table"),
            ("5.2.2", f"552 5.2.2 <{recipient}>: Mailbox full"),
        ))
        headers = _original_headers(when=when, sender=sender, recipient=recipient,
                                    subject="Meeting notes", ours=True, first_hop=OUR_IP, rng=rng)
    return _dsn(when=when, reporting_mta=reporting_mta, recipient=recipient, status=status,
                diagnostic=diagnostic, original_headers=headers, boundary=boundary)


def _ordinary(rng: random.Random, when: datetime) -> str:
    return (f"From: {rng.choice(_FIRST_NAMES)}@example.net\nTo: postmaster@{OUR_DOMAIN}\n"
            f"Subject: Question about your newsletter\nDate: {format_datetime(when)}\n"
            f"Message-ID: <{rng.getrandbits(64):x}@example.net>\n\n"
            "Hello, how do I unsubscribe from your newsletter? Thanks.\n")


def _autoreply(rng: random.Random, when: datetime) -> str:
    who = rng.choice(_FIRST_NAMES)
    return (f"From: {who}@example.org\nTo: {rng.choice(_FIRST_NAMES[:4])}@{OUR_DOMAIN}\n"
            f"Subject: Out of Office: Meeting notes\nAuto-Submitted: auto-replied\n"
            f"Date: {format_datetime(when)}\nMessage-ID: <{rng.getrandbits(64):x}@example.org>\n\n"
            f"I am out of the office until Monday with limited access to email.\n")


# (group, how many, spread over how many minutes before now)
_PLAN: tuple[tuple[str, int, int], ...] = (
    ("backscatter", 220, 50),  # the flood: most of it inside the last hour
    ("backscatter", 40, 170),  # its start, in the hours before
    ("ours", 30, 180),
    ("blocklisted", 36, 45),
    ("ordinary", 12, 180),
    ("autoreply", 12, 180),
)


def sample_messages(now: datetime, *, seed: int = 7) -> Iterator[SampleMessage]:
    """The sample mailbox, oldest first, with every date shifted to end shortly before `now`."""
    rng = random.Random(seed)
    planned: list[tuple[datetime, str]] = []
    for group, count, minutes in _PLAN:
        planned.extend((now - timedelta(seconds=rng.uniform(30, minutes * 60)), group) for _ in range(count))
    planned.sort()
    for index, (when, group) in enumerate(planned):
        if group == "ordinary":
            text = _ordinary(rng, when)
        elif group == "autoreply":
            text = _autoreply(rng, when)
        else:
            text = _bounce(rng, when, group=group)
        yield SampleMessage(name=f"{int(when.timestamp())}.{index:04d}.demo", raw=text.encode(), group=group)
