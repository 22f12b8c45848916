"""What on-call messages say: reminders of unacknowledged incidents, silences (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import Incident
from bot.monitor.quiet import Quiet, QuietKind
from bot.slack import blocks


def reminder(incident: Incident, *, mention: str, now: datetime) -> blocks.Message:
    who = f"<!subteam^{mention}> " if mention else ""
    open_for = blocks.duration(now - incident.opened_at)
    text = (f"⏰ {who}Nobody has acknowledged incident #{incident.id} on {blocks.inert(incident.domain)} "
            f"in {open_for}. Acknowledge, snooze or resolve it on the card.")
    return blocks.Message(text=text, blocks=(blocks.section(text),))


# How every quiet line ends: the on-call job reads it back to tell a card that still says it is quiet
QUIET_MARKER = "Bounces are counted; nothing is posted."


def quiet_line(quiet: Quiet) -> str:
    """"🔕 Silenced by @x until …: reason" — on the card, App Home and the silences list."""
    maintenance = quiet.kind is QuietKind.MAINTENANCE
    head = "🔧 Maintenance window" if maintenance else f"🔕 Silenced by {blocks.user(quiet.by)}"
    reason = f": {blocks.inert(quiet.reason)}" if quiet.reason else ""
    return f"{head} until {blocks.when(quiet.until)}{reason}. {QUIET_MARKER}"


def silenced(quiet: Quiet) -> blocks.Message:
    text = f"{blocks.inert(quiet.domain)}: {quiet_line(quiet)}"
    return blocks.Message(text=text, blocks=(blocks.section(text),))


def unsilenced(domain: str, lifted: int) -> blocks.Message:
    text = (f"🔔 {blocks.inert(domain)} is no longer silenced: its alerts are posted again."
            if lifted else f"{blocks.inert(domain)} was not silenced.")
    return blocks.Message(text=text, blocks=(blocks.section(text),))


def silences_list(quiets: Sequence[Quiet]) -> blocks.Message:
    if not quiets:
        text = "No domain is silenced, and no maintenance window is open."
        return blocks.Message(text=text, blocks=(blocks.section(text),))
    lines = [f"• *{blocks.inert(q.domain)}*: {quiet_line(q)}" for q in quiets]
    return blocks.Message(text=f"{len(quiets)} quiet domain(s)", blocks=(blocks.section("\n".join(lines)),))
