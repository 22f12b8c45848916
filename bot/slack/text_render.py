"""Plain-text rendering of Block Kit payloads, for the terminal demo and the console notifier.

Faithful to what Slack would show: headers, sections and fields, context lines, buttons and
selects as brackets, links as "label (url)", mentions as @ID, dates by their UTC fallback, an
attachment's colour bar as a bar down the left (the header's own emoji already says the state).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9]+)>")
_SPECIAL = re.compile(r"<!(channel|here|everyone)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")

def mrkdwn_to_text(text: str) -> str:
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _MENTION.sub(r"@\1", text)
    text = _SPECIAL.sub(r"@\1", text)
    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_text(payload: Mapping[str, Any], *, width: int = 100) -> str:
    """A message payload (text, blocks, attachments) → the lines a terminal shows."""
    lines: list[str] = []
    blocks: list[Any] = list(payload.get("blocks") or [])
    bar = ""
    for attachment in payload.get("attachments") or []:
        bar = "┃"
        blocks += list(attachment.get("blocks") or [])
    if not blocks:
        lines.append(mrkdwn_to_text(str(payload.get("text", ""))))
    for block in blocks:
        lines += _block_lines(block, width)
    prefix = f"{bar} " if bar else ""
    return "\n".join(f"{prefix}{line}".rstrip() for line in lines)


def render_view(view: Mapping[str, Any], *, width: int = 100) -> str:
    return render_text({"blocks": view.get("blocks") or []}, width=width)


def _block_lines(block: Mapping[str, Any], width: int) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = mrkdwn_to_text(str(block["text"]["text"]))
        return [title, "═" * min(width, len(title) + 2)]
    if kind == "divider":
        return ["─" * min(width, 40)]
    if kind == "section":
        out: list[str] = []
        if "text" in block:
            out += _wrap(mrkdwn_to_text(block["text"]["text"]), width)
        for item in block.get("fields") or []:
            label, _, value = mrkdwn_to_text(item["text"]).partition("\n")
            out += _wrap(f"{label.strip('*')}: {value}", width)
        return out
    if kind == "context":
        return _wrap("  " + " · ".join(mrkdwn_to_text(e.get("text", "")) for e in block.get("elements") or []), width)
    if kind == "actions":
        return ["  " + " ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    return []


def _element(element: Mapping[str, Any]) -> str:
    if element.get("type") == "button":
        return f"[ {element['text']['text']} ]"
    if element.get("type") == "static_select":
        options: Sequence[Mapping[str, Any]] = element.get("options") or []
        choices = " | ".join(o["text"]["text"] for o in options)
        return f"[ {element['placeholder']['text']} ▾ {choices} ]"
    return f"[ {element.get('type')} ]"


def _wrap(text: str, width: int) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        out += textwrap.wrap(line, width, subsequent_indent="  ", replace_whitespace=False) or [""]
    return out
