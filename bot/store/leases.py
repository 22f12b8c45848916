"""Leases that notice death: short terms kept alive by a heartbeat, and dead local holders freed at once.

Folder scans (`folder_state`) and outbox rows (`outbox`) are claimed with an owner and an expiry.
The owner is this process's `Instance`: "node:pid:token" (a folder's adds "/thread"), where the node
is the host name and its pid namespace (two containers with one host name are two nodes) and the
token is new at every start (a reused pid is not the dead process).

- A claim lasts `LEASE_TERM`; while the process lives, its `Heartbeat` renews every lease it holds
  every `HEARTBEAT_EVERY`, so a long scan keeps its folder, and a killed instance's leases lapse
  `LEASE_TERM` after its last beat: another machine takes over within half a minute.
- On its own node a process need not wait that long: a holder whose pid is gone (`os.kill(pid, 0)`)
  cannot be working, and its leases are freed before each scan and delivery run.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, Engine, Table, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.store.rates_queries import utc
from bot.store.schema import folder_state, outbox

log = logging.getLogger(__name__)

LEASE_TERM = timedelta(seconds=15)  # a dead instance's work is taken over this long after its last beat
HEARTBEAT_EVERY = timedelta(seconds=3)  # several beats per term: one slow store write does not lose a lease
LEASED_TABLES = (folder_state, outbox)


@dataclass(frozen=True, slots=True)
class Instance:
    """One running bouncecheck process, as its leases name it."""

    node: str
    pid: int
    token: str

    @property
    def owner(self) -> str:
        return f"{self.node}:{self.pid}:{self.token}"


def _node() -> str:
    host = socket.gethostname()
    try:  # "pid:[4026531836]": containers sharing a host name do not share pids
        namespace = str(Path("/proc/self/ns/pid").readlink()).strip("pid:[]")
    except OSError:
        return host
    return f"{host}+{namespace}" if namespace.isdigit() else host


@cache
def this_instance() -> Instance:
    """This process's identity, made once (a forked child is a new process: it gets its own)."""
    return Instance(node=_node(), pid=os.getpid(), token=secrets.token_hex(4))


def current_owner() -> str:
    instance = this_instance()
    if instance.pid != os.getpid():  # forked after the first call
        this_instance.cache_clear()
        instance = this_instance()
    return instance.owner


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def local_pid(owner: str, node: str) -> int | None:
    """The pid of a lease owner "node:pid[:token][/thread]" on `node`, else None (another node, or no pid)."""
    parts = owner.split("/", 1)[0].split(":")
    if len(parts) not in (2, 3) or parts[0] != node:
        return None
    pid = parts[1]
    return int(pid) if pid.isascii() and pid.isdigit() else None


def free_dead_leases(engine: Engine, now: datetime, *, node: str | None = None,
                     alive: Callable[[int], bool] = pid_alive) -> int:
    """Release the unexpired leases of processes on this node that are gone; how many rows were freed."""
    node = node or this_instance().node
    freed = 0
    with engine.begin() as conn:
        for table in LEASED_TABLES:
            owners = conn.scalars(select(table.c.lease_owner).distinct().where(*_held(table, utc(now))))
            dead = [o for o in owners if (pid := local_pid(str(o), node)) is not None and not alive(pid)]
            for owner in dead:
                freed += _release(conn, table, owner)
                log.info("freed the %s leases of %s, which is no longer running", table.name, owner)
    return freed


def renew_leases(engine: Engine, owner: str, now: datetime, *, term: timedelta = LEASE_TERM) -> int:
    """Push the expiry of every unexpired lease `owner` (or one of its threads) holds to `now + term`.

    Only forward: a claim made with a later clock (a test's, or a term longer than this one) is kept.
    An expired lease is not revived: another instance may already have taken the work over.
    """
    until = utc(now + term)
    renewed = 0
    with engine.begin() as conn:
        for table in LEASED_TABLES:
            mine = (table.c.lease_owner == owner) | table.c.lease_owner.startswith(f"{owner}/", autoescape=True)
            result = conn.execute(update(table).where(mine, *_held(table, utc(now)), table.c.lease_until < until)
                                  .values(lease_until=until))
            renewed += int(result.rowcount or 0)
    return renewed


def _held(table: Table, now: datetime) -> list[ColumnElement[bool]]:
    held: list[ColumnElement[bool]] = [table.c.lease_owner.is_not(None), table.c.lease_until >= now]
    if table is outbox:  # runs every few seconds: read the pending rows (indexed), not the history
        held.append(outbox.c.delivered_at.is_(None))
    return held


def _release(conn: Connection, table: Table, owner: str) -> int:
    result = conn.execute(update(table).where(table.c.lease_owner == owner).values(lease_owner=None, lease_until=None))
    return int(result.rowcount)


class Heartbeat:
    """Renews this process's leases from a background thread until stopped."""

    def __init__(self, engine: Engine, *, owner: str | None = None, every: timedelta = HEARTBEAT_EVERY,
                 term: timedelta = LEASE_TERM, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine = engine
        self._owner = owner or current_owner()
        self._every = every
        self._term = term
        self._clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def beat(self) -> int:
        return renew_leases(self._engine, self._owner, self._clock(), term=self._term)

    def _run(self) -> None:
        while not self._stopping.wait(self._every.total_seconds()):
            try:
                self.beat()
            except SQLAlchemyError as exc:  # the store is down: the next beat tries again, the work goes on
                log.warning("cannot renew the leases of %s: %s", self._owner, exc)
