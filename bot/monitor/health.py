"""Is the bot doing its job? `/healthz` and App Home say what is degraded, in the DESIGN.md shape; pure.

    {"status": "ok" | "degraded" | "down", "problems": [{"what": ..., "detail": ...}]}

Down: the scheduler or the store is not running (nothing works). Degraded: it runs, but a mailbox's
last scan failed, a blacklist check could not run at all, Slack refused messages for good (dead
letters) or refuses the bot token, or messages have waited long (Slack unreachable). Both answer
503; ok answers 200, with the same JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.store.health_queries import HealthFacts
from bot.store.outbox_store import DeliveryFacts

STALE_PENDING = timedelta(minutes=15)  # a message queued this long ago and not sent: Slack is not taking it


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    what: str  # "scheduler", "store", "mailbox", "blacklist_check", "slack"
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    status: str
    problems: tuple[Problem, ...] = ()

    @property
    def http_status(self) -> int:
        return 200 if self.status == "ok" else 503

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "problems": [{"what": p.what, "detail": p.detail} for p in self.problems]}


def down(*problems: Problem) -> Health:
    return Health(status="down", problems=problems)


def assess(facts: HealthFacts) -> Health:
    """What is degraded, one problem per failing mailbox folder, failed domain check and kind of refusal."""
    problems = [Problem(what="mailbox", detail=f"{f.mailbox} {f.folder}: last scan failed"
                        + (f" (failing since {f.last_error_at:%Y-%m-%d %H:%M} UTC)" if f.last_error_at else "")
                        + f": {f.last_error}")
                for f in facts.folders if f.last_error]
    problems += [Problem(what="blacklist_check", detail=f"{domain}: the check at {failure.at:%Y-%m-%d %H:%M} UTC "
                         f"could not run: {failure.reason}")
                 for domain, failure in sorted(facts.failed_checks.items())]
    problems += [Problem(what="slack", detail=detail) for detail in delivery_problems(facts.delivery, facts.now)]
    return Health(status="degraded" if problems else "ok", problems=tuple(problems))


def delivery_problems(delivery: DeliveryFacts, now: datetime) -> list[str]:
    """What is wrong with posting to Slack, in words an admin acts on (also shown in App Home)."""
    problems = []
    if delivery.token_error:
        problems.append(f"Slack refuses the bot token ({delivery.token_error.removeprefix('token: ').split(' ')[0]}): "
                        f"posting stopped, {delivery.pending} message(s) wait; set a valid token and restart")
    if delivery.dead:
        behind = f", {delivery.behind_dead} more wait behind them" if delivery.behind_dead else ""
        problems.append(f"{delivery.dead} message(s) Slack refused are kept as dead letters (the first: "
                        f"{delivery.first_dead_error}){behind}; fix the cause, then `bouncecheck outbox retry`")
    oldest = delivery.oldest_pending_at
    if not delivery.token_error and oldest is not None and now - oldest > STALE_PENDING:
        problems.append(f"{delivery.pending - delivery.behind_dead} message(s) not yet delivered, the oldest queued "
                        f"{oldest:%Y-%m-%d %H:%M} UTC: Slack is not taking them")
    return problems
