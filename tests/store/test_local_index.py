"""bot/store/local_index.py: entries are trusted only as far as the cursor reached, replaced by name, dropped."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from bot.store import local_index
from bot.store.database import MIGRATIONS, open_engine
from bot.store.local_index import IndexEntry


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def test_only_entries_the_cursor_covers_are_loaded(engine: Engine) -> None:
    local_index.save(engine, "pm", "/mail", [IndexEntry(name="a", uid=1), IndexEntry(name="b", uid=5)])
    assert set(local_index.load(engine, "pm", "/mail", 4)) == {"a"}
    assert local_index.covered_names(engine, "pm", "/mail", 5) == {"a", "b"}
    assert local_index.load(engine, "pm", "/mail", None) == {}  # no cursor: nothing is known
    assert local_index.load(engine, "pm", "/other", 5) == {}


def test_uncovered_entries_are_forgotten_and_without_a_cursor_all_of_them(engine: Engine) -> None:
    local_index.save(engine, "pm", "/mail", [IndexEntry(name="a", uid=1), IndexEntry(name="b", uid=5)])
    local_index.forget_uncovered(engine, "pm", "/mail", 4)
    assert local_index.covered_names(engine, "pm", "/mail", 10) == {"a"}
    local_index.forget_uncovered(engine, "pm", "/mail", None)
    assert local_index.covered_names(engine, "pm", "/mail", 10) == set()


def test_saving_replaces_by_name_keeps_the_last_state_and_drops_in_chunks(engine: Engine) -> None:
    many = [IndexEntry(name=f"m{i}", uid=1) for i in range(1200)]
    local_index.save(engine, "pm", "/mail", many)
    grown = IndexEntry(name="box.mbox", uid=3, identity="1:2", size=900, mtime_ns=7, read_to=900, fingerprint="f")
    local_index.save(engine, "pm", "/mail", [replace(grown, read_to=400), grown],
                     drop=[entry.name for entry in many[1:]])
    assert local_index.load(engine, "pm", "/mail", 3) == {"m0": many[0], "box.mbox": grown}


def test_a_v5_store_gains_the_local_index(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    open_engine(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as conn:  # as the v5 bot left it
        conn.execute("DROP TABLE local_index")
        conn.execute("DELETE FROM schema_version WHERE version > 5")
    engine = open_engine(f"sqlite:///{db}")
    try:
        assert inspect(engine).has_table("local_index")
        with engine.connect() as conn:
            versions = [v for (v,) in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == [version for version, _ in MIGRATIONS]
    finally:
        engine.dispose()
