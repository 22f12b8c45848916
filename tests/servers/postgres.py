"""The PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) for tests, one throw-away schema each.

`pg_url` yields a SQLAlchemy URL whose search_path is a fresh schema, dropped afterwards. Under
CI=true an unreachable server fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import IN_CI

HOST, PORT, DATABASE = "127.0.0.1", 5432, "test"


def _connect() -> object:
    import psycopg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(host=HOST, port=PORT, dbname=DATABASE, user=user, autocommit=True,
                                   connect_timeout=3)
        except psycopg.OperationalError as exc:
            last = exc
    message = f"PostgreSQL at {HOST}:{PORT}/{DATABASE} is unreachable: {last}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    import psycopg

    admin = _connect()
    assert isinstance(admin, psycopg.Connection)
    user = admin.info.user
    schema = f"bc_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"postgresql+psycopg://{user}@{HOST}:{PORT}/{DATABASE}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()
