"""Is the bot doing its job? `/healthz` and App Home say what is degraded, in the DESIGN.md shape; pure.

    {"status": "ok" | "degraded" | "down", "problems": [{"what": ..., "detail": ...}]}

Down: the scheduler or the store is not running (nothing works). Degraded: it runs, but a mailbox's
last scan failed, a blacklist check could not run at all, or Slack refused messages. Both answer 503;
ok answers 200, with the same JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.store.health_queries import HealthFacts


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
    if facts.refused.count:
        problems.append(Problem(what="slack", detail=f"{facts.refused.count} message(s) refused by Slack in the last "
                                f"24 h; the last: {facts.refused.last_error}"))
    return Health(status="degraded" if problems else "ok", problems=tuple(problems))
