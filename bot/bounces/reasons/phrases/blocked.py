"""The phrases that name `blocked`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # SFR
        "client host rejected: abus detecte gu_eib_0",
        # Outlook.com SC-004
        "too many unwanted messages have been sent from the following ip address above",
        # Free.fr
        "too many spams from your ip",
        # Exim: refused before HELO
        "smtp error from remote mail server after initial connection:",
        # iCloud
        "esmtp not accepting connections",
        # Sisimai 5 blocked.rb
        " said: 550 blocked",
        "blocked - see http",
        "refused - see http",
        "connections not accepted from ip addresses on spamhaus xbl",
        "currently sending spam see: ",
        "dnsbl:attrbl",
        "dynamic/zombied/spam ips blocked",
        "email blocked by ",
        "error: no valid recipients from ",
        "helo command rejected:",
        "is in a black list",
        "part of their network is on our block list",
        "rejected because the sending mta or the sender has not passed validation",
        "server access forbidden by your ip ",
        "service not available, closing transmission channel",
        "to submit messages to this e-mail system has been rejected",
        "you are not allowed to connect",
        "you are sending spam",
        "your email address has been blacklisted",
        "bad sender ip address",
        "extreme bad ip profile",
        "no matches to nameserver query",
        # Orange: 421 ... ME Service refuse. Veuillez essayer plus tard. Service refused, please try later.
        "service refused, please try later",
        # Yahoo: 554 INVALID IP FOR SENDING MAIL OF DOMAIN
        "invalid ip for sending mail of domain",
        "access denied. ip name lookup failed",
        "banned sending ip",
        "blacklisted by",
        "blocked using ",
        "cannot resolve your address",
        "client host rejected: may not be mail exchanger",
        "client host rejected: was not authenticated",  # Microsoft
        "confirm this mail server",
        "connection dropped",
        "connection refused by",
        "connection reset by peer",
        "connection was dropped by remote host",
        "domain does not exist:",
        "go away",
        "hosts with dynamic ip",
        "ip/domain reputation problems",
        "is not allowed to send mail from",
        "no access from mail server",
        "not currently accepting mail from your ip",  # Microsoft
        "please use the smtp server of your isp",
        "rejecting open proxy",  # Sendmail
        "sorry, that domain isn't in my list of allowed rcpthosts",
        "sorry, your remotehost looks suspiciously like spammer",
        "spf record",
        "unresolvable relay host name",
        "your network is temporary blacklisted",
        "your server requires confirmation",
        "we do not accept mail from dynamic ips",  # mail.ru
        "http://www.spamcop.net/bl.",
        "is listed in",
        "listed at",
        "listed on",
        "dnsbl",
        " rbl",  # with the space: "rbl" alone matched host names such as mx.marblearch.example
        "blocklist",
        "blacklist",
        "block list",
        "black list",
        "has been blocked",
        "your ip address is blocked",
        "ip address is blocked",
        "service unavailable; client host",
        "client host rejected",
        "poor reputation",
        "sender ip address rejected",
        "not allowed to connect",
        "spamhaus",
        "barracuda",
        "reputation",
        "has been temporarily blocked",
        "blocked by",
        "your access to this mail system has been rejected",
        "connection rejected",
        "banned",
    ),
    pairs=(
        ("message from ", " rejected based on blacklist"),
        ("server ip ", " listed as abusive"),
        ("your sender's ip address is listed at ", ".abuseat.org"),
        ("mail from ", " refused:"),
        # Outlook.com SC-004: "Unfortunately, messages from 192.0.2.1 weren't sent."
        ("unfortunately, messages from ", " weren't sent"),
        ("access from ip address ", " blocked"),
        ("client host ", " blocked using"),
        ("connections will not be accepted from ", "because the ip is in spamhaus's list"),
        ("dnsbl:", " is blocked"),
        ("domain ", " mismatches client ip"),
        ("ip ", " is blocked by earthlink"),
        ("mail server at ", " is blocked"),
        ("messages from ", " temporarily deferred due to user complaints"),  # Yahoo
        ("the ", " is blacklisted"),
        ("the email ", " is blacklisted"),
        ("(", ":blocked)"),  # "(a@example.org:blocked)"
        ("refused to talk to me: ", " blocked"),  # "host mx.example.org refused to talk to me: 554 blocked"
        ("is in an ", "rbl on "),
    ),
)
