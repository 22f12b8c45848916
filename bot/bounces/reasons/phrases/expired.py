"""The phrases that name `expired`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "delivery attempts will continue to be",
        "failed to deliver to domain ",
        "have been failing for a long time",
        "message expired, connection refulsed",
        "unable to deliver message after multiple retries",
        "your message could not be delivered for more than",
        "connection timed out",
        "could not find a gateway for",
        "delivery time expired",
        "giving up on",
        "it has not been collected after",
        "message expired after sitting in queue for",
        "message timed out",
        "retry time not reached for any host after a long failure period",
        "server did not respond",
        "this message has been in the queue too long",
        "was not reachable within the allowed queue period",
        "delivery expired",
        "message expired",
        "retry timeout exceeded",
        "has been delayed",
        "could not be delivered for",
        "queue too long",
    )
)
