"""Pure Block Kit modals: the Resolve dialog, what its submission says, and the modal's own answers.

Called by bot/slack/actions/resolve.py, which opens the dialog (views.open) and reads its submission.
The incident and its card travel in the view's `private_metadata`, which Slack gives back as we wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.models import Incident, ResolutionOutcome
from bot.monitor.incidents import resolution_words
from bot.slack.blocks import CAUSE_LABEL, Block, clip, headline, inert, section

RESOLVE_DIALOG = "incident_resolve_dialog"  # callback_id: the view listener registers on it
OUTCOME_BLOCK, OUTCOME_ACTION = "resolution_outcome", "outcome"
NOTE_BLOCK, NOTE_ACTION = "resolution_note", "note"
MAX_NOTE = 2000
MAX_TITLE = 24  # Slack's limit for a modal's title
MAX_OPTION_TEXT = 75  # … and for an option's text and description


@dataclass(frozen=True, slots=True, kw_only=True)
class DialogOf:
    """What the dialog is about: the incident, and where its card is (the channel the click came from)."""

    incident_id: int
    channel: str
    ts: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """A submitted Resolve dialog."""

    of: DialogOf
    outcome: ResolutionOutcome
    note: str


def resolve_dialog(incident: Incident, *, channel: str, ts: str) -> dict[str, Any]:
    """The modal the card's Resolve button opens: what it was (the named cause by default) and a note."""
    options = {outcome: _option(outcome, incident) for outcome in ResolutionOutcome}
    return {
        "type": "modal",
        "callback_id": RESOLVE_DIALOG,
        "title": _plain(_title(incident.id)),
        "submit": _plain("Resolve"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"incident_id": incident.id, "channel": channel, "ts": ts}),
        "blocks": [
            section(f"*{inert(headline(incident))}*"),
            {
                "type": "input",
                "block_id": OUTCOME_BLOCK,
                "label": _plain("What was it?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": OUTCOME_ACTION,
                    "options": list(options.values()),
                    "initial_option": options[ResolutionOutcome.CONFIRMED],
                },
            },
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": _plain("Note"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_ACTION,
                    "multiline": True,
                    "max_length": MAX_NOTE,
                    "placeholder": _plain("What you found or did, for whoever meets this again"),
                },
            },
        ],
    }


def read_resolution(view: Mapping[str, Any]) -> Resolution | None:
    """What a submitted dialog says; None for a view that is not one we built (tampered, or a changed form)."""
    of = _dialog_of(view.get("private_metadata"))
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if of is None or not isinstance(values, dict):
        return None
    chosen = _field(values, OUTCOME_BLOCK, OUTCOME_ACTION).get("selected_option")
    try:
        outcome = ResolutionOutcome(str(chosen.get("value"))) if isinstance(chosen, dict) else None
    except ValueError:
        outcome = None
    if outcome is None:
        return None
    note = _field(values, NOTE_BLOCK, NOTE_ACTION).get("value")
    return Resolution(of=of, outcome=outcome, note=str(note or "").strip()[:MAX_NOTE])


def refusal(message: str) -> dict[str, Any]:
    """The ack that keeps the dialog open with `message` under its choice (`response_action: errors`)."""
    return {"response_action": "errors", "errors": {OUTCOME_BLOCK: message}}


def answer(incident_id: int, text: str) -> dict[str, Any]:
    """The ack that turns the dialog into a note (nothing was done, and why), closed with one button."""
    view = {"type": "modal", "title": _plain(_title(incident_id)), "close": _plain("Close"),
            "blocks": [section(text)]}
    return {"response_action": "update", "view": view}


def _option(outcome: ResolutionOutcome, incident: Incident) -> Block:
    words = resolution_words(outcome, incident.cause)
    option: Block = {"text": _plain(clip(words[:1].upper() + words[1:], MAX_OPTION_TEXT)), "value": outcome.value}
    if outcome is ResolutionOutcome.CONFIRMED:
        option["description"] = _plain(clip(CAUSE_LABEL.get(incident.cause, str(incident.cause)), MAX_OPTION_TEXT))
    return option


def _title(incident_id: int) -> str:
    title = f"Resolve incident #{incident_id}"
    return title if len(title) <= MAX_TITLE else "Resolve incident"


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def _field(values: Mapping[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    block = values.get(block_id)
    found = block.get(action_id) if isinstance(block, dict) else None
    return found if isinstance(found, dict) else {}


def _dialog_of(metadata: object) -> DialogOf | None:
    try:
        data = json.loads(str(metadata))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    incident_id, channel, ts = data.get("incident_id"), data.get("channel"), data.get("ts")
    if not (type(incident_id) is int and 0 < incident_id < 2**63  # SQLite's integers stop at 2**63
            and isinstance(channel, str) and isinstance(ts, str)):
        return None
    return DialogOf(incident_id=incident_id, channel=channel, ts=ts)
