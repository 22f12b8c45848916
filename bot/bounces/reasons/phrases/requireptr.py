"""The phrases that name `requireptr`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "ip name lookup failed",
        "all mail servers must have a ptr record with a valid reverse dns entry",
        "bad dns ptr resource record",
        "cannot find your hostname",
        "cannot resolve your address.",
        "client host rejected: cannot find your hostname",  # Yahoo
        "fix reverse dns for ",
        "ips with missing ptr records",
        "no ptr record found.",
        "please get a custom reverse dns name from your isp for your host",
        "ptr record setup",
        "reverse dns failed",
        "reverse dns required",
        "sender ip reverse lookup rejected",
        "the ip address sending this message does not have a ptr record setup",  # Gmail
        "the corresponding forward dns entry does not point to the sending ip",  # Gmail
        "this system will not accept messages from servers/devices with no reverse dns",
        "unresolvable relay host name",
        "we do not accept mail from hosts with dynamic ip or generic dns ptr-records",  # mail.ru
        "no ptr record",
        "reverse dns",
        "rdns",
    ),
    # Sisimai's ("ptr", "record"), held to one clause and to whole words: "your ptr (reverse lookup)
    # dns record does not match", not a host name that holds "ptr"
    regex=re.compile(r"\bptr\b[^.;]{0,30}\brecords?\b"),
    pairs=(
        ("domain ", " mismatches client ip"),
        ("dns lookup failure: ", " try again later"),
        ("domain name verification on your ip address ", " failed"),
        ("reverse dns lookup for host ", " failed permanently"),
        ("server access ", " forbidden by invalid rdns record of your mail server"),
        ("service permits ", " unverifyable sending ips"),
    ),
)
