"""Bounce messages made up for tests and benchmarks (never corpus files): small, varied, each unique.

`dsn()` is an RFC 3464 report as Postfix writes it; `exim()` a plain-text Exim failure; `feedback()`
an ARF complaint; `autoreply()` and `plain()` are not bounces. `mixed(n)` cycles through them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime

_serial = itertools.count(1)


def _date(when: datetime | None) -> str:
    return format_datetime(when or datetime.now(UTC))


def dsn(*, recipient: str | None = None, sender: str = "news@example.com", status: str = "5.1.1",
        diagnostic: str | None = None, when: datetime | None = None, padding: int = 0,
        original: str | None = None, quote_original: bool = True, action: str = "failed") -> bytes:
    """A Postfix RFC 3464 bounce of a message `sender` sent to `recipient`.

    `original` replaces the quoted original's header block; `quote_original=False` leaves it out,
    as bounces that return only the report do.
    """
    n = next(_serial)
    recipient = recipient or f"user{n}@remote{n % 7}.example.org"
    diagnostic = diagnostic or f"smtp; 550 {status} <{recipient}>: Recipient address rejected: User unknown"
    boundary = f"B{n}.1732700000/mx1.example.net"
    filler = ("X" * 76 + "\n") * (padding // 77 + 1) if padding else ""
    headers = original if original is not None else f"""\
Return-Path: <{sender}>
Received: from out1.example.com (out1.example.com [203.0.113.5]) by mx1.example.net
From: Newsletter <{sender}>
To: <{recipient}>
Subject: Our news, issue {n}
Date: {_date(when)}
Message-ID: <orig-{n}@example.com>
"""
    quoted = f"""\
--{boundary}
Content-Type: message/rfc822

{headers.rstrip()}

Hello, this is issue {n}.
{filler}
""" if quote_original else ""
    text = f"""\
Return-Path: <>
Received: from mx1.example.net (mx1.example.net [192.0.2.1]) by imap.example.com; {_date(when)}
From: MAILER-DAEMON@mx1.example.net (Mail Delivery System)
To: {sender}
Subject: Undelivered Mail Returned to Sender
Date: {_date(when)}
Message-ID: <bounce-{n}@mx1.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.remote.example.org[198.51.100.7] said: {diagnostic.split('; ', 1)[-1]}

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.example.net
X-Postfix-Queue-ID: 4Q{n:08X}
Arrival-Date: {_date(when)}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.remote.example.org
Diagnostic-Code: {diagnostic}

{quoted}--{boundary}--
"""
    return text.replace("\n", "\r\n").encode()


def exim(*, recipient: str | None = None, sender: str = "alerts@example.com") -> bytes:
    """An Exim non-DSN failure report with the original's headers quoted below the text."""
    n = next(_serial)
    recipient = recipient or f"gone{n}@remote{n % 5}.example.net"
    text = f"""\
Return-Path: <>
From: Mail Delivery System <Mailer-Daemon@mx2.example.net>
To: {sender}
Subject: Mail delivery failed: returning message to sender
Date: {_date(None)}
Message-ID: <E1exim{n}@mx2.example.net>
X-Failed-Recipients: {recipient}
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    host mx.remote.example.net [198.51.100.9]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in virtual mailbox table

------ This is a copy of the message, including all the headers. ------

Return-path: <{sender}>
From: {sender}
To: {recipient}
Subject: Alert {n}
Message-ID: <alert-{n}@example.com>

Alert body {n}.
"""
    return text.replace("\n", "\r\n").encode()


def feedback(*, sender: str = "news@example.com") -> bytes:
    """An ARF (RFC 5965) complaint: counted as feedback, not a bounce."""
    n = next(_serial)
    text = f"""\
From: fbl@isp.example.org
To: abuse@example.com
Subject: Complaint about message from 203.0.113.5
Date: {_date(None)}
Message-ID: <fbl-{n}@isp.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F{n}"

--F{n}
Content-Type: text/plain

This is an email abuse report.

--F{n}
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Source-IP: 203.0.113.5

--F{n}
Content-Type: text/rfc822-headers

From: {sender}
To: someone{n}@isp.example.org
Subject: Offer {n}
Message-ID: <offer-{n}@example.com>

--F{n}--
"""
    return text.replace("\n", "\r\n").encode()


def autoreply() -> bytes:
    n = next(_serial)
    text = f"""\
From: Someone <someone{n}@remote.example.org>
To: news@example.com
Subject: Out of office: Our news
Date: {_date(None)}
Message-ID: <ooo-{n}@remote.example.org>
Auto-Submitted: auto-replied

I am away until Monday.
"""
    return text.replace("\n", "\r\n").encode()


def plain() -> bytes:
    n = next(_serial)
    text = f"""\
From: Colleague <colleague{n}@example.com>
To: postmaster@example.com
Subject: Lunch {n}?
Date: {_date(None)}
Message-ID: <lunch-{n}@example.com>

Shall we have lunch?
"""
    return text.replace("\n", "\r\n").encode()


def mixed(count: int) -> Iterator[tuple[bytes, bool]]:
    """`count` messages of varied formats, each with whether it holds one failed recipient."""
    makers = ((dsn, True), (exim, True), (dsn, True), (feedback, False), (autoreply, False), (plain, False))
    for i in range(count):
        make, is_bounce = makers[i % len(makers)]
        yield make(), is_bounce
