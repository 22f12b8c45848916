"""Who may use /bouncecheck and the buttons, and how often: `[slack] allowed_channels`, `allowed_users`,
`commands_per_minute`. Called by the listeners before they act; every "no" is a polite sentence.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bot.config import Settings
from bot.routing import channels as route_channels

# A user group ID ("S0123ABCD") in allowed_users admits its members; the lookup is cached this long.
GROUP_CACHE_SECONDS = 300.0

GroupMembers = Callable[[str], Collection[str]]


def _no_groups(_group: str) -> Collection[str]:
    return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    message: str


def admitted_channels(settings: Settings) -> frozenset[str]:
    """`[slack] allowed_channels` and, when it is set, every channel the bot posts in (the alert channel, each
    route's, the ops channel): a click on a card or a notice is taken where the bot put it. Empty: every channel."""
    allowed = settings.slack.allowed_channels
    if not allowed:
        return frozenset()
    posted_in = {*route_channels(settings), settings.slack.ops_channel} - {""}
    return frozenset({*allowed, *posted_in})


class AccessPolicy:
    """allowed_channels / allowed_users (empty: everyone), with user groups resolved through Slack."""

    def __init__(
        self,
        *,
        channels: Collection[str],
        users: Collection[str],
        group_members: GroupMembers = _no_groups,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._channels = frozenset(channels)
        self._users = frozenset(u for u in users if not u.startswith("S"))
        self._groups = tuple(u for u in users if u.startswith("S"))
        self._group_members = group_members
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def check(self, *, user: str, channel: str | None) -> Refusal | None:
        if self._channels and channel not in self._channels:
            return Refusal(
                message="Sorry, I only take requests in the channels my admins chose. "
                "Ask in one of those, or ask an admin to add this one to `[slack] allowed_channels`."
            )
        if (self._users or self._groups) and not self._user_allowed(user):
            return Refusal(
                message="Sorry, you are not on my list of people who may do this. "
                "An admin can add you to `[slack] allowed_users`."
            )
        return None

    def _user_allowed(self, user: str) -> bool:
        return user in self._users or any(user in self._members(group) for group in self._groups)

    def _members(self, group: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group)
            if cached and now - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
        members = frozenset(self._group_members(group))
        with self._lock:
            self._cache[group] = (now, members)
        return members


class RateLimiter:
    """At most `per_minute` checks per user in any 60 s; a decision is remembered per request id,
    so the ack and the lazy listener of one slash command see the same answer."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._decided: OrderedDict[str, Refusal | None] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, user: str, request_id: str) -> Refusal | None:
        with self._lock:
            if request_id in self._decided:
                return self._decided[request_id]
            now = self._clock()
            recent = self._seen.setdefault(user, deque())
            while recent and now - recent[0] >= 60:
                recent.popleft()
            decision: Refusal | None = None
            if len(recent) >= self._per_minute:
                wait = int(60 - (now - recent[0])) + 1
                decision = Refusal(
                    message=f"Easy there: you can run {self._per_minute} check{'s' if self._per_minute != 1 else ''} "
                    f"a minute. Try again in {wait} s."
                )
            else:
                recent.append(now)
            self._decided[request_id] = decision
            while len(self._decided) > 10_000:
                self._decided.popitem(last=False)
            return decision
