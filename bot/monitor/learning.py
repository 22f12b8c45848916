"""Know our servers before judging where a bounce came from: learn each domain's from DNS when none is stored.

Called before a scan by `bouncecheck scan` and the scheduler (bot/jobs.py); the blacklist watch
refreshes them with every check (bot/monitor/watch.py). A domain DNS could not tell us about is
tried again at the next call; its bounces stay of unknown origin until then, never counted as ours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine

from bot.config import Settings
from bot.reputation.servers import LearnedServers
from bot.store.servers_store import domains_not_learned, save_learned

log = logging.getLogger(__name__)

Learn = Callable[[Sequence[str], Settings, datetime], list[LearnedServers]]


def _learn_from_dns(domains: Sequence[str], settings: Settings, now: datetime) -> list[LearnedServers]:
    from bot.reputation.servers import learn_servers  # DNS machinery only when there is something to learn

    return learn_servers(domains, settings, now)


def learn_missing(engine: Engine, settings: Settings, now: datetime, *, learn: Learn = _learn_from_dns) -> list[str]:
    """Learn the servers of every monitored domain that has none stored; one line per lookup that failed."""
    with engine.connect() as conn:
        missing = domains_not_learned(conn, settings.monitor.domains)
    if not missing:
        return []
    learned = learn(missing, settings, now)
    with engine.begin() as conn:
        for result in learned:
            save_learned(conn, result.domain, result.servers, result.answered, result.learned_at)
    problems = [problem for result in learned for problem in result.problems]
    for result in learned:
        log.info("learned %d servers of %s from DNS%s", len(result.servers), result.domain,
                 f" ({'; '.join(result.problems)})" if result.problems else "")
    return problems
