"""When an incident nobody has acknowledged is due a reminder (pure).

Step 1 comes `escalate_after` after `since` (the later of the incident's opening and its card's
posting: a card held back by a silence gives people the whole time), then one step every
`repeat_after`, while the incident stays open: an acknowledgement, a snooze or a resolution stops
it. Only the latest due step is ever sent (its number is its key in the outbox), so a bot that was
down for hours sends one reminder when it is back, not one per missed step, and two instances send
each step once.
"""

from __future__ import annotations

from datetime import datetime

from bot.models import Incident, IncidentState
from bot.routing import Route


def due_step(incident: Incident, route: Route, now: datetime, *, since: datetime) -> int | None:
    if route.escalate_after is None or incident.state is not IncidentState.OPEN:
        return None
    late = now - since - route.escalate_after
    if late.total_seconds() < 0:
        return None
    return 1 + int(late / route.repeat_after)
