"""Store fixtures: every store test runs on SQLite and on a throwaway PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cds.store import Store

from .helpers import T0, Clock, make_store, pg_url, truncate

__all__ = ["pg_url"]


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store_factory(backend: str, tmp_path: Path, clock: Clock) -> Iterator[object]:
    made: list[Store] = []

    def make(**overrides: object) -> Store:
        store = make_store(backend, tmp_path, clock, **overrides)
        made.append(store)
        return store

    yield make
    if made:
        truncate(made[0])
    for store in made:
        store.close()


@pytest.fixture
def store(store_factory: object) -> Store:
    s: Store = store_factory()  # type: ignore[operator]
    return s
