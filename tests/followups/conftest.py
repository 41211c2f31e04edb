"""Fixtures for the follow-up tests: PostgreSQL (throwaway database), Redis (the local server
or a private one), celery processes, and the EHR's FHIR server on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cds.store import Store

from ..store.helpers import make_store, pg_url, truncate
from .services import CeleryProcesses, FhirTaskServer, RedisServer, redis_ping

__all__ = ["pg_url"]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """CDS_TEST_REDIS_URL, else the local server on 6379, else a private one started here."""
    given = os.environ.get("CDS_TEST_REDIS_URL")
    if given:
        if not redis_ping(given):
            pytest.fail("CDS_TEST_REDIS_URL is set but Redis does not answer there", pytrace=False)
        yield given
        return
    if redis_ping("redis://127.0.0.1:6379/0"):
        yield "redis://127.0.0.1:6379/0"
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone (it may be stopped without disturbing anyone)."""
    d = tmp_path / "private-redis"
    d.mkdir()
    server = RedisServer(d).start()
    yield server
    server.stop()


@pytest.fixture
def ehr() -> Iterator[FhirTaskServer]:
    server = FhirTaskServer()
    yield server
    server.close()


@pytest.fixture
def pg_store(pg_url: str, tmp_path: Path) -> Iterator[Store]:
    store = make_store(pg_url, tmp_path)
    truncate(store)
    yield store
    truncate(store)
    store.close()


@pytest.fixture
def worker_env(pg_url: str, redis_url: str, tmp_path: Path, ehr: FhirTaskServer) -> dict[str, str]:
    """The environment of the worker, beat and CLI processes: a queue of this test alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDS_", "CELERY_"))}
    env.update({
        "CDS_DATABASE_URL": pg_url,
        "CDS_BROKER_URL": redis_url,
        "CDS_CELERY_QUEUE": f"cds-test-{uuid.uuid4().hex[:10]}",
        "CDS_INSTANCE_DIR": str(tmp_path / "instance"),
        "CDS_DISPATCH_INTERVAL_SECONDS": "0.5",
        "CDS_FOLLOWUP_STUCK_SECONDS": "6",
        "CDS_FOLLOWUP_BACKOFF_SECONDS": "1",
        "CDS_FOLLOWUP_BACKOFF_MAX_SECONDS": "2",
        "CDS_TASK_FHIR_BASE_URL": ehr.base,
        "CDS_TASK_FHIR_TOKEN": ehr.token,
    })
    return env


@pytest.fixture
def celery_procs(worker_env: dict[str, str], tmp_path: Path,
                 pg_store: Store) -> Iterator[Callable[..., CeleryProcesses]]:
    """Start-on-demand celery processes; the store is cleaned only after they are gone."""
    made: list[CeleryProcesses] = []

    def make(**env: str) -> CeleryProcesses:
        procs = CeleryProcesses({**worker_env, **env}, tmp_path)
        made.append(procs)
        return procs

    yield make
    for procs in made:
        procs.close()
