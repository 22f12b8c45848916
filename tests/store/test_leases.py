"""Leases of a dead process on this node are freed at once; a live holder's and another node's are kept;
a heartbeat keeps a live instance's leases, and a silent instance's lapse after LEASE_TERM."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.database import open_engine
from bot.store.ingest import claim_folder
from bot.store.leases import LEASE_TERM, Heartbeat, Instance, free_dead_leases, local_pid, renew_leases, this_instance
from bot.store.schema import folder_state, outbox

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HOST = this_instance().node


def test_owner_names_are_read_for_this_host_only() -> None:
    assert local_pid(f"{HOST}:123/456", HOST) == 123
    assert local_pid(f"{HOST}:123", HOST) == 123
    assert local_pid("other-host:123/4", HOST) is None
    assert local_pid(f"{HOST}:x", HOST) is None
    assert local_pid(f"{HOST}:123:9f3a/7", HOST) == 123  # an instance's owner, with its start token
    assert local_pid(f"{socket.gethostname()}+1:123:9f3a", f"{socket.gethostname()}+2") is None  # another container


def test_a_dead_holders_folder_and_post_are_freed(tmp_path: object) -> None:
    engine = open_engine(f"sqlite:///{tmp_path}/l.db")
    dead, live, remote = f"{HOST}:999999/1", f"{HOST}:{os.getpid()}/1", "elsewhere:42/1"
    until = NOW + timedelta(minutes=5)
    for folder, owner in (("A", dead), ("B", live), ("C", remote)):
        assert claim_folder(engine, "pm", folder, owner, NOW, until)
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(dedupe_key="k", action="post_card", channel="C", payload={},
                                            created_at=NOW, next_attempt_at=NOW, lease_owner=f"{HOST}:999999",
                                            lease_until=until))
    freed = free_dead_leases(engine, NOW, alive=lambda pid: pid != 999999)
    assert freed == 2
    with engine.connect() as conn:
        held = dict(conn.execute(folder_state.select().with_only_columns(folder_state.c.folder,
                                                                          folder_state.c.lease_owner)).all())
        post = conn.execute(outbox.select().with_only_columns(outbox.c.lease_owner)).scalar_one()
    assert held == {"A": None, "B": live, "C": remote} and post is None
    assert claim_folder(engine, "pm", "A", f"{HOST}:{os.getpid()}/2", NOW, until)  # the new bot takes it at once
    engine.dispose()


def test_a_beating_instance_keeps_its_folder_and_a_silent_one_loses_it_after_the_term(tmp_path: object) -> None:
    """Two instances on different machines: the holder's heartbeat keeps its scan; once it stops beating
    (killed, cut off), the other takes the folder over LEASE_TERM after the last beat, not later."""
    engine = open_engine(f"sqlite:///{tmp_path}/l.db")
    one = Instance(node="node-one", pid=10, token="aaaa").owner
    two = Instance(node="node-two", pid=10, token="bbbb").owner
    assert claim_folder(engine, "pm", "INBOX", f"{one}/1", NOW, NOW + LEASE_TERM)
    beat = NOW + LEASE_TERM - timedelta(seconds=1)
    assert renew_leases(engine, one, beat) == 1  # the last beat before it dies
    assert renew_leases(engine, two, beat) == 0  # a heartbeat renews its own leases only
    assert not claim_folder(engine, "pm", "INBOX", f"{two}/1", NOW + LEASE_TERM + timedelta(seconds=1),
                            NOW + 2 * LEASE_TERM)  # past the first term, but the beat extended it
    lapse = beat + LEASE_TERM + timedelta(seconds=1)
    assert free_dead_leases(engine, lapse, alive=lambda pid: False) == 0  # another node's pids are not ours to test
    assert claim_folder(engine, "pm", "INBOX", f"{two}/1", lapse, lapse + LEASE_TERM)
    assert renew_leases(engine, one, lapse) == 0  # a late beat of the old holder does not take it back
    engine.dispose()


def test_the_heartbeat_thread_renews_while_running_and_stops_when_told(tmp_path: object) -> None:
    engine = open_engine(f"sqlite:///{tmp_path}/l.db")
    owner = Instance(node="n", pid=1, token="t").owner
    assert claim_folder(engine, "pm", "INBOX", f"{owner}/1", NOW, NOW + timedelta(seconds=1))
    clock = iter(NOW + timedelta(seconds=0.5 * n) for n in range(1, 1000))
    with Heartbeat(engine, owner=owner, every=timedelta(milliseconds=10), clock=lambda: next(clock)):
        deadline = time.monotonic() + 5
        while _until(engine) < NOW + timedelta(seconds=5):
            assert time.monotonic() < deadline, "the heartbeat never renewed the lease"
            time.sleep(0.01)
    stopped_at = _until(engine)
    time.sleep(0.1)
    assert _until(engine) == stopped_at
    engine.dispose()


def _until(engine: Any) -> datetime:
    with engine.connect() as conn:
        value = conn.scalar(folder_state.select().with_only_columns(folder_state.c.lease_until))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
