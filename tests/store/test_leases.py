"""Leases of a dead process on this host are freed at once; a live holder's and another host's are kept."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from bot.store.database import open_engine
from bot.store.ingest import claim_folder
from bot.store.leases import free_dead_leases, local_pid
from bot.store.schema import folder_state, outbox

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HOST = socket.gethostname()


def test_owner_names_are_read_for_this_host_only() -> None:
    assert local_pid(f"{HOST}:123/456", HOST) == 123
    assert local_pid(f"{HOST}:123", HOST) == 123
    assert local_pid("other-host:123/4", HOST) is None
    assert local_pid(f"{HOST}:x", HOST) is None


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
