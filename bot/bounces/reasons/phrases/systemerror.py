"""The phrases that name `systemerror`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "aliasing/forwarding loop broken",
        "can't create user output file",
        "could not load drd for domain",
        "internal error reading data",  # Microsoft
        "internal server error: operation now in progress",  # Microsoft
        "interrupted system call",
        "it encountered an error while being processed",
        "it would create a mail loop",
        "local configuration error",
        "local error in processing",
        "loop was found in the mail exchanger",
        "loops back to myself",
        "mail system configuration error",
        "queue file write error",
        "recipient deferred because there is no mdb",
        "remote server is misconfigured",
        "server configuration error",
        "service currently unavailable",
        "system config error",
        "temporary local problem",
        "timeout waiting for input",
        "554 transaction failed",  # Hotmail's classic reply, often at the end of a line
        "transaction failed ",
        "internal error",
        "system error",
    ),
    # "451 4.3.0 Unable to connect to the LMTP daemon" (a local delivery agent that is down)
    pairs=(("unable to connect ", "daemon"),),
)
