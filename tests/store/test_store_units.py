"""Units of work: one retry on a dead connection (and only when safe), and how many statements
the hot paths send, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from cds.config import Settings
from cds.errors import StoreError
from cds.followups.run import run_followup
from cds.store import DONE, Store
from cds.store.sql import Trail

from .helpers import ADMIN_URL, T0, Clock, discharge, make_store, truncate


def _lost(statement: str = "SELECT") -> sa.exc.OperationalError:
    """What SQLAlchemy raises when the server has gone away under a pooled connection."""
    return sa.exc.OperationalError(statement, {}, psycopg.OperationalError("server closed the connection"),
                                   connection_invalidated=True)


class Flaky:
    """A unit of work whose first `failures` runs meet a dead connection (at `statement`)."""

    def __init__(self, failures: int, statement: str = "SELECT") -> None:
        self.failures, self.statement, self.runs = failures, statement, 0

    def __call__(self, conn: Any, trail: Trail) -> str:
        self.runs += 1
        if self.runs <= self.failures:
            raise _lost(self.statement)
        return "ok"


def test_a_dead_connection_is_retried_once(store: Store) -> None:
    work = Flaky(1)
    assert store.unit(work) == "ok" and work.runs == 2
    work = Flaky(2)
    with pytest.raises(StoreError):
        store.unit(work)
    assert work.runs == 2


def test_other_database_errors_are_not_retried(store: Store) -> None:
    runs = []

    def broken(conn: Any, trail: Trail) -> None:
        runs.append(1)
        raise sa.exc.OperationalError("SELECT", {}, psycopg.OperationalError("disk full"))

    with pytest.raises(StoreError):
        store.unit(broken)
    assert len(runs) == 1


@pytest.fixture
def failing_commit(store: Store) -> Iterator[list[int]]:
    """The next COMMIT meets a dead connection: nobody knows whether it was applied."""
    commits: list[int] = []

    def commit(conn: Any) -> None:
        commits.append(1)
        if len(commits) == 1:
            raise _lost("COMMIT")

    event.listen(store.engine, "commit", commit)
    yield commits
    event.remove(store.engine, "commit", commit)


def test_an_unknown_commit_is_run_again_only_when_the_unit_is_idempotent(
    store: Store, failing_commit: list[int],
) -> None:
    work = Flaky(0)
    with pytest.raises(StoreError):
        store.unit(work, idempotent=False)
    assert work.runs == 1
    assert store.unit(work) == "ok" and work.runs == 2


@pytest.fixture
def pg_store(pg_url: str, tmp_path: Path, clock: Clock) -> Iterator[Store]:
    """PostgreSQL only: an SQLite file has no server connection to lose."""
    store = make_store(pg_url, tmp_path, clock)
    yield store
    truncate(store)
    store.close()


def _drop_connections(store: Store) -> int:
    """What a database restart does to the pool: every server connection of it is gone."""
    admin = sa.engine.make_url(ADMIN_URL)
    with psycopg.connect(host=admin.host, port=admin.port or 5432, user=admin.username,
                         password=admin.password, dbname=admin.database, autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (store.engine.url.database,)).fetchall())


def test_units_survive_the_database_dropping_every_connection(
    pg_store: Store, caplog: pytest.LogCaptureFixture,
) -> None:
    discharge(pg_store)  # the pool now holds a connection
    assert _drop_connections(pg_store) >= 1
    discharge(pg_store, hook="hook-2", encounter="enc-2")  # one statement, no transaction
    assert _drop_connections(pg_store) >= 1
    assert len(pg_store.claim_due(T0 + timedelta(days=100))) == 6  # a transaction
    assert caplog.text.count("connection lost") == 2


def _statements(store: Store) -> list[str]:
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (engine.py)
            seen.append(statement)

    return seen


def test_the_hot_paths_send_few_statements(store: Store, settings: Settings) -> None:
    """PostgreSQL: one statement per discharge, two per follow-up, no BEGIN/COMMIT (autocommit).
    SQLite: what the portable code sends, whatever the plan's length."""
    pg = store.engine.dialect.name == "postgresql"
    seen = _statements(store)
    discharge(store)
    assert len(seen) == (1 if pg else 4)
    [fid] = store.claim_due(T0 + timedelta(days=2))
    seen.clear()
    assert run_followup(store, settings, fid) == "done"
    assert len(seen) == (2 if pg else 4)
    assert store.followup(fid).state == DONE  # type: ignore[union-attr]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings.from_env({}), instance_dir=tmp_path)
