"""Errors → one short sentence for the person who clicked or typed; the traceback goes to the log only.

Used by the app's one `@app.error` handler and by the wrapper around lazy listeners (Bolt only logs
errors raised there).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import BounceCheckError, DNSError, StoreError, UsageError
from bot.slack.gateway import SlackFailure

log = logging.getLogger(__name__)
P = ParamSpec("P")


def explain(error: BaseException) -> str:
    """The sentence a person sees."""
    if isinstance(error, UsageError):
        return f"⚠️ {error}"
    if isinstance(error, DNSError):
        return "⚠️ The DNS resolver is not answering right now, so I could not check. Try again in a minute."
    if isinstance(error, StoreError | SQLAlchemyError):
        return "⚠️ My database is not answering right now. Try again in a minute; the admins have the details."
    if isinstance(error, SlackApiError | SlackClientError | SlackFailure):
        return "⚠️ Slack refused one of my calls. Try again in a minute; the admins have the details."
    if isinstance(error, BounceCheckError):
        return f"⚠️ {error}"
    return "⚠️ Something went wrong on my side. The admins have the details in the log."


def report(error: BaseException, respond: Callable[..., Any] | None, *, replace_original: bool = False) -> None:
    """Log the error and tell the person, ephemerally, if there is someone to tell; `replace_original`
    when the sentence takes the place of a "Checking…" placeholder (not of a card that was clicked)."""
    if isinstance(error, UsageError):
        log.info("refused: %s", error)
    elif isinstance(error, BounceCheckError):
        log.warning("listener failed: %s", error)  # ours: the sentence says it all
    else:
        log.error("listener failed", exc_info=error)
    if respond is None:
        return
    try:
        respond(text=explain(error), response_type="ephemeral", replace_original=replace_original)
    except (SlackApiError, SlackClientError, OSError, ValueError):
        log.warning("could not tell the user about the error", exc_info=True)


def reported(func: Callable[P, None], *, replaces_placeholder: bool = False) -> Callable[P, None]:
    """For lazy listeners: an exception becomes a short ephemeral sentence instead of a silent log line;
    with `replaces_placeholder` it takes the place of the ack's "Checking…", as the answer would have."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            func(*args, **kwargs)
        except Exception as exc:  # the one catch-all of lazy listeners; @app.error covers the others
            report(exc, kwargs.get("respond"), replace_original=replaces_placeholder)  # type: ignore[arg-type]

    return wrapper
