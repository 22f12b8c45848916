"""The phrases that name `networkerror`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "could not connect and send the mail to",
        "dns records for the destination computer could not be found",
        "hop count exceeded - possible mail loop",
        "host is unreachable",
        "host not found, try again",
        "mail forwarding loop for ",
        "malformed name server reply",
        "malformed or unexpected name server reply",
        "maximum forwarding loop count exceeded",
        "message looping",
        "message probably in a routing loop",
        "no route to host",
        "too many hops",
        "unable to resolve route ",
        "unrouteable mail domain",
        "network is unreachable",
        "connection refused",
        "lost connection with",
        # OpenSMTPD
        "address family mismatch on destination mxs",
        "all routes to destination blocked",
        "bad dns lookup error code",
        "could not retrieve source address",
        "network error on destination mxs",
        "temporary failure in mx lookup",
        "exceeded maximum hop count",  # Courier
        "could not contact dns servers",
        "establish an smtp connection",
        "host name lookup failure",
        "listed as a best-preference mx",
        "no relevant answers",
    )
)
