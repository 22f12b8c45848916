"""Credentials that must never reach a log line, whatever the verbosity: a logging filter for every handler.

Socket Mode's client logs its wss:// URL at debug level, ticket included; a database URL may carry a
password. `Redact` rewrites each record's final message before any handler writes it.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    (re.compile(r"([?&](?:ticket|token|access_token|key|password)=)[^&\s'\"]+", re.IGNORECASE), r"\1***"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+@", re.IGNORECASE), r"\1***@"),  # user:password@
    (re.compile(r"\bxox[abposer]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+"), "xox…***"),  # Slack tokens
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """Put the filter on every handler of the root logger (call once logging is configured)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(Redact())
