"""Leases whose holder died on this machine are freed at once, instead of being waited out.

Folder scans (`folder_state`) and outbox rows (`outbox`) are claimed with an owner "host:pid" (a
folder's adds "/thread") and an expiry. A SIGKILLed bot kept its leases for their whole term: the
restarted bot skipped the folder for five minutes and its posts for two. A holder on this host whose
process no longer exists (`os.kill(pid, 0)`) cannot be working: its leases are released. Called by
the scheduler before each scan and delivery run, and by `scan --once`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, select, update

from bot.store.rates_queries import utc
from bot.store.schema import folder_state, outbox

log = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def local_pid(owner: str, host: str) -> int | None:
    """The pid of a lease owner "host:pid[/thread]" on `host`, else None (another machine, or no pid)."""
    head = owner.split("/", 1)[0]
    name, _, pid = head.rpartition(":")
    return int(pid) if name == host and pid.isascii() and pid.isdigit() else None


def free_dead_leases(engine: Engine, now: datetime, *, host: str | None = None,
                     alive: Callable[[int], bool] = pid_alive) -> int:
    """Release the unexpired leases of processes on this host that are gone; how many rows were freed."""
    host = host or socket.gethostname()
    freed = 0
    with engine.begin() as conn:
        for table in (folder_state, outbox):
            held = [table.c.lease_owner.is_not(None), table.c.lease_until >= utc(now)]
            if table is outbox:  # runs before every delivery: read the pending rows (indexed), not the history
                held.append(outbox.c.delivered_at.is_(None))
            owners = conn.scalars(select(table.c.lease_owner).distinct().where(*held))
            dead = [o for o in owners if (pid := local_pid(str(o), host)) is not None and not alive(pid)]
            for owner in dead:
                freed += _release(conn, table, owner)
                log.info("freed the %s leases of %s, which is no longer running", table.name, owner)
    return freed


def _release(conn: Connection, table: Table, owner: str) -> int:
    result = conn.execute(update(table).where(table.c.lease_owner == owner).values(lease_owner=None, lease_until=None))
    return int(result.rowcount)
