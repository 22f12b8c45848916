"""Logging for every entry point (`run`, `scan`, `check`, the uvicorn app): readable or JSON lines.

    text  2026-12-01 10:00:00,123 WARNING bot.mail.scanner: mailbox 'pm': login refused
    json  {"time": "2026-12-01T10:00:00.123Z", "level": "warning", "logger": "bot.mail.scanner",
           "message": "mailbox 'pm': login refused", "mailbox": "pm"}

A record's `extra` fields that name what it is about (mailbox, folder, domain, incident) become
keys of the JSON object. Credentials are redacted from every line (bot/redact.py). Called before
the command runs; a second call only sets the level, and where another program already configured
the root logger (pytest, an embedding app), nothing is changed.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot import redact
from bot.config import LoggingSettings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("mailbox", "folder", "domain", "incident", "job")
_MARK = "_bouncecheck_handler"


class JsonLines(logging.Formatter):
    """One JSON object per record; an exception's traceback (a bug) as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: getattr(record, key) for key in CONTEXT_FIELDS if getattr(record, key, None) is not None})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup(settings: LoggingSettings, *, verbose: int = 0, floor: str | None = None) -> None:
    """Configure the root logger once: text or JSON lines, at the config's level, or at `floor` if that is
    higher (a terminal command logs only its problems); -v is INFO and -vv DEBUG whatever they say."""
    root = logging.getLogger()
    if root.handlers and not any(getattr(handler, _MARK, False) for handler in root.handlers):
        return  # someone else owns logging here (a test runner, an embedding program): leave it to them
    level = max(_level(settings.level), _level(floor) if floor else 0)
    if verbose:
        level = logging.DEBUG if verbose >= 2 else logging.INFO
    root.setLevel(level)
    if root.handlers:
        return
    handler = logging.StreamHandler()
    setattr(handler, _MARK, True)
    handler.setFormatter(JsonLines() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    redact.install()


def _level(name: str) -> int:
    return int(logging.getLevelNamesMapping()[name.upper()])
