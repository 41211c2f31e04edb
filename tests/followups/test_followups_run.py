"""Running one follow-up in-process, on SQLite and PostgreSQL (whose take is one statement):
the Task, the write-back, retries, the cap, and a Task that cannot be built."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from cds.config import Settings
from cds.followups.ids import followup_id
from cds.followups.run import backoff, dispatch, run_followup
from cds.followups.task import validate_task
from cds.store import DONE, FAILED, PENDING, QUEUED, Store, create_store

from ..store.helpers import T0, Clock, discharge, truncate
from .services import FhirTaskServer

FID = followup_id("enc-1", "pelvic-floor-call-2d")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=2, hours=1))


@pytest.fixture
def settings(tmp_path: Path, ehr: FhirTaskServer) -> Settings:
    return replace(Settings.from_env({}), instance_dir=tmp_path, task_fhir_base_url=ehr.base,
                   task_fhir_token=ehr.token, followup_max_attempts=3, followup_backoff_s=30)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, settings: Settings, clock: Clock) -> Iterator[Store]:
    if request.param == "postgresql":
        settings = replace(settings, database_url=request.getfixturevalue("pg_url"))
    s = create_store(settings, clock=clock)
    discharge(s)
    yield s
    truncate(s)
    s.close()


def _claim_and_run(store: Store, settings: Settings) -> str:
    outcomes: list[str] = []
    dispatch(store, settings, lambda fid: outcomes.append(run_followup(store, settings, fid)))
    assert len(outcomes) == 1
    return outcomes[0]


def test_a_due_followup_becomes_a_valid_r4_task_written_back_once(
    store: Store, settings: Settings, ehr: FhirTaskServer,
) -> None:
    assert _claim_and_run(store, settings) == "done"
    record = store.task(FID)
    assert record is not None and record.status == "ready"
    task = record.fhir()
    validate_task(task)
    assert task["intent"] == "order" and task["status"] == "ready"
    assert task["executionPeriod"] == {"start": "2025-03-05T10:00:00Z", "end": "2025-03-06T10:00:00Z"}
    assert task["reasonCode"]["text"].endswith(": Vacuüm- of tangverlossing")
    assert task["reasonReference"] == {"reference": "Procedure/p-1"}
    assert [i["valueCoding"]["code"] for i in task["input"]][:2] == ["E1", "E2"]
    sent = ehr.tasks["ehr-1"]
    assert sent["identifier"] == task["identifier"] and "meta" not in sent
    assert ehr.by_identifier == {f"urn:bodem-cds:followup-task|{FID}": "ehr-1"}
    assert run_followup(store, settings, FID) == "skipped"  # a late duplicate message


def test_a_retryable_failure_is_rescheduled_with_backoff_then_capped(
    store: Store, settings: Settings, ehr: FhirTaskServer, clock: Clock,
) -> None:
    ehr.fail_next = 10
    assert _claim_and_run(store, settings) == "retry"
    row = store.followup(FID)
    assert row is not None and row.state == PENDING and row.run_after == clock.now + timedelta(seconds=30)
    assert row.last_error == "FHIR server answered HTTP 503"
    clock.advance(seconds=30)
    assert _claim_and_run(store, settings) == "retry"
    assert store.followup(FID).run_after == clock.now + timedelta(seconds=60)  # type: ignore[union-attr]
    clock.advance(seconds=60)
    assert _claim_and_run(store, settings) == "failed"
    row = store.followup(FID)
    assert row is not None and row.state == FAILED and row.attempts == 3
    assert row.last_error == "gave up after 3 attempts; last: FHIR server answered HTTP 503"
    assert store.task(FID) is not None  # kept locally; the EHR never took it
    assert len(store.audit_trail(followup_id=FID, actions=["task-created"])) == 1  # stored once


def test_a_refused_write_fails_at_once(store: Store, settings: Settings) -> None:
    wrong_token = replace(settings, task_fhir_token="not-the-token")
    assert _claim_and_run(store, wrong_token) == "failed"
    assert store.followup(FID).last_error == "FHIR server answered HTTP 401"  # type: ignore[union-attr]


def test_without_an_ehr_the_task_is_only_stored(store: Store, settings: Settings,
                                                ehr: FhirTaskServer) -> None:
    assert _claim_and_run(store, replace(settings, task_fhir_base_url=None)) == "done"
    row = store.followup(FID)
    assert row is not None and row.state == DONE and row.attempts == 1 and ehr.posts == 0
    assert row.started_at == row.finished_at == store.clock()  # queued -> done in one step
    trail = store.audit_trail(followup_id=FID)
    assert [e.action for e in trail] == ["planned", "claimed", "started", "task-created", "sent"]
    assert trail[2].detail == {"attempt": 1} and trail[4].task_id == FID
    assert store.task(FID) is not None


def test_a_task_that_cannot_be_built_fails_at_once_with_the_attempt_counted(
    store: Store, settings: Settings,
) -> None:
    store.plan = dataclasses.replace(store.plan, items=store.plan.items[1:])  # the item was removed
    assert _claim_and_run(store, settings) == "failed"
    row = store.followup(FID)
    assert row is not None and row.state == FAILED and row.attempts == 1
    assert row.last_error is not None and "no longer in the plan" in row.last_error
    assert [e.action for e in store.audit_trail(followup_id=FID)] == ["planned", "claimed", "started", "failed"]
    assert store.task(FID) is None


def test_dispatch_claims_batch_after_batch_up_to_its_bound(
    store: Store, settings: Settings, clock: Clock,
) -> None:
    for n in range(2, 5):
        discharge(store, hook=f"hook-{n}", encounter=f"enc-{n}")
    clock.advance(days=100)  # all 12 follow-ups are due
    small = replace(settings, followup_batch=5)
    sent: list[str] = []
    first = dispatch(store, small, sent.append, rounds=2)
    assert len(first.claimed) == 10 and first.more  # two full batches: more may be due
    rest = dispatch(store, small, sent.append)
    assert len(rest.claimed) == 2 and not rest.more
    assert len(sent) == len(set(sent)) == 12


def test_a_broker_failure_releases_the_claims(store: Store, settings: Settings, clock: Clock) -> None:
    clock.advance(days=100)

    def broken(_: str) -> None:
        raise ConnectionError("broker down")

    result = dispatch(store, settings, broken)
    assert len(result.claimed) == 3 and result.sent == [] and len(result.released) == 3
    assert {f.state for f in store.followups()} == {PENDING}
    assert {f.last_error for f in store.followups()} == {"enqueue failed (ConnectionError)"}
    sent: list[str] = []
    assert len(dispatch(store, settings, sent.append).sent) == 3
    assert {f.state for f in store.followups()} == {QUEUED}


def test_backoff_doubles_up_to_the_cap(settings: Settings) -> None:
    s = replace(settings, followup_backoff_s=60, followup_backoff_max_s=300)
    assert [backoff(s, n).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 300, 300]
