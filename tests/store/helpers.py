"""Test helpers shared by tests/store and tests/followups: a throwaway PostgreSQL database, a
settable clock, and a minimal evaluation (what the store needs of cds.engine.Evaluation)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from cds.config import Settings
from cds.store import Store, create_store
from cds.store.schema import metadata

ADMIN_URL = os.environ.get("CDS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """CREATE DATABASE cds_test_<random>; yields its URL; DROP ... WITH (FORCE) afterwards."""
    admin = sa.engine.make_url(ADMIN_URL)
    try:
        conn = psycopg.connect(
            host=admin.host, port=admin.port or 5432, user=admin.username,
            password=admin.password, dbname=admin.database, autocommit=True, connect_timeout=5,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {admin.host}:{admin.port or 5432} "
            f"({type(exc).__name__}). Start it, or set CDS_TEST_POSTGRES_URL to a server where "
            "this user may CREATE DATABASE.", pytrace=False,
        )
    name = f"cds_test_{secrets.token_hex(6)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(
                hide_password=False)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate(store: Store) -> None:
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class FakeEvaluation:
    """Stands in for cds.engine.Evaluation where a test only needs the trigger's inputs."""

    at_risk: bool = True
    phase: str = "postpartum"
    findings: list[dict[str, Any]] = field(default_factory=lambda: [{
        "rule": "R6-instrumental-delivery", "kind": "risk-factor", "status": "present",
        "title": "Vacuüm- of tangverlossing", "evidence": [{"reference": "Procedure/p-1"}],
    }])

    def to_json(self) -> dict[str, Any]:
        return {"phase": self.phase, "findings": self.findings if self.at_risk else []}


T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def discharge(store: Store, *, hook: str = "hook-1", encounter: str = "enc-1",
              patient: str = "pat-1", at: datetime = T0, evaluation: Any = None,
              cards: list[str] | None = None) -> None:
    store.record_discharge(
        hook_instance=hook, service_id="pfd-risk-discharge", patient_id=patient,
        encounter_id=encounter, discharge_at=at, evaluation=evaluation or FakeEvaluation(),
        card_uuids=cards if cards is not None else ["0b1c2d3e-0000-4000-8000-000000000001"],
        knowledge_version="test",
    )


def settings_for(url: str, tmp: Path, **overrides: Any) -> Settings:
    return replace(Settings.from_env({}), database_url=url, instance_dir=tmp, **overrides)


def make_store(url: str, tmp: Path, clock: Clock | None = None, **overrides: Any) -> Store:
    settings = settings_for(url, tmp, **overrides)
    return create_store(settings, clock=clock) if clock else create_store(settings)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url
