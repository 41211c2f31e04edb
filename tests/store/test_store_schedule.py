"""The follow-up state machine: guarded transitions, claims, retries, the reaper, Tasks."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from cds.errors import PreconditionError
from cds.store import DONE, FAILED, PENDING, QUEUED, RUNNING, Store

from .helpers import T0, Clock, discharge


def test_claim_takes_only_due_rows_once(store: Store) -> None:
    discharge(store)
    assert store.claim_due(T0 + timedelta(days=1)) == []
    first = store.claim_due(T0 + timedelta(days=2))
    assert len(first) == 1 and store.followup(first[0]).state == QUEUED  # type: ignore[union-attr]
    assert store.claim_due(T0 + timedelta(days=2)) == []


def test_a_claim_takes_at_most_its_limit_soonest_first(store: Store) -> None:
    for n in range(4):
        discharge(store, hook=f"h{n}", encounter=f"enc-{n}", at=T0 + timedelta(hours=n))
    first = store.claim_due(T0 + timedelta(days=400), limit=5)
    assert len(first) == 5
    items = [store.followup(fid).plan_item for fid in first]  # type: ignore[union-attr]
    assert items.count("pelvic-floor-call-2d") == 4  # the four soonest, then one 6-week check
    assert len(store.claim_due(T0 + timedelta(days=400), limit=5)) == 5
    assert len(store.claim_due(T0 + timedelta(days=400), limit=5)) == 2


def test_concurrent_claims_never_share_a_row(store: Store) -> None:
    for n in range(12):
        discharge(store, hook=f"h{n}", encounter=f"enc-{n}")
    results: list[list[str]] = []

    def claim() -> None:
        results.append(store.claim_due(T0 + timedelta(days=400), limit=7))

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [fid for batch in results for fid in batch]
    assert len(claimed) == len(set(claimed)) == 36


def test_start_is_guarded(store: Store) -> None:
    discharge(store)
    [fid] = store.claim_due(T0 + timedelta(days=2))
    started = store.start(fid)
    assert started is not None and started.state == RUNNING and started.attempts == 1
    assert store.start(fid) is None  # a duplicate message does nothing
    assert store.finish(fid, fid)
    assert not store.finish(fid, fid)
    assert store.followup(fid).state == DONE  # type: ignore[union-attr]


def test_fail_retries_then_gives_up(store: Store, clock: Clock) -> None:
    discharge(store)
    [fid] = store.claim_due(T0 + timedelta(days=2))
    store.start(fid)
    assert store.fail(fid, "FHIR server answered HTTP 503", T0 + timedelta(minutes=1)) == PENDING
    row = store.followup(fid)
    assert row is not None and row.run_after == T0 + timedelta(minutes=1)
    assert row.due_at == T0 + timedelta(days=2)  # the Task's period does not move
    assert store.claim_due(T0) == []
    assert store.claim_due(T0 + timedelta(minutes=1)) == [fid]
    store.start(fid)
    assert store.fail(fid, "gave up", None) == FAILED
    assert store.followup(fid).last_error == "gave up"  # type: ignore[union-attr]


def test_reaper_repends_then_fails_at_the_cap(store: Store, clock: Clock) -> None:
    discharge(store)
    [fid] = store.claim_due(T0 + timedelta(days=2))
    store.start(fid)  # ... and the worker is lost
    assert store.reap(timedelta(minutes=10), max_attempts=2) == []
    clock.advance(minutes=11)
    assert store.reap(timedelta(minutes=10), max_attempts=2) == [(fid, PENDING)]
    assert store.claim_due(clock.now) == [fid]
    store.start(fid)
    clock.advance(minutes=11)
    assert store.reap(timedelta(minutes=10), max_attempts=2) == [(fid, FAILED)]
    row = store.followup(fid)
    assert row is not None and row.last_error is not None and "gave up after 2" in row.last_error


def _task(fid: str) -> dict[str, Any]:
    return {"resourceType": "Task", "id": fid, "status": "ready",
            "identifier": [{"system": "urn:test", "value": fid}]}


def test_tasks_are_saved_once_and_changed_under_a_version_guard(store: Store) -> None:
    discharge(store)
    [fid] = store.claim_due(T0 + timedelta(days=2))
    row = store.start(fid)
    assert row is not None
    _record, created = store.save_task(row, _task(fid), "CareTeam/x")
    again, created_again = store.save_task(row, {**_task(fid), "status": "draft"}, "CareTeam/x")
    assert created and not created_again and again.resource["status"] == "ready"

    def change(current: Any, now: Any) -> dict[str, Any]:
        return {**current.resource, "status": "completed"}

    updated = store.replace_task(fid, 1, change, "user:anna", {"status": "completed"})
    assert updated.version == 2 and updated.fhir()["meta"]["versionId"] == "2"
    with pytest.raises(PreconditionError):
        store.replace_task(fid, 1, change, "user:anna", {})
    trail = store.audit_trail(task_id=fid)
    assert [e.action for e in trail] == ["task-created", "task-changed"]
    assert trail[1].actor == "user:anna"


def test_task_search_filters(store: Store) -> None:
    for n in range(3):
        discharge(store, hook=f"h{n}", encounter=f"enc-{n}", patient=f"pat-{n}",
                  at=T0 + timedelta(days=n))
    for fid in store.claim_due(T0 + timedelta(days=10)):
        row = store.start(fid)
        assert row is not None
        store.save_task(row, _task(fid), "CareTeam/x")
    found, total = store.search_tasks(owner="CareTeam/x", statuses=["ready"])
    assert total == 3 and [r.patient_id for r in found] == ["pat-0", "pat-1", "pat-2"]
    assert store.search_tasks(patient_id="pat-1")[1] == 1
    assert store.search_tasks(owner="CareTeam/other")[1] == 0
    assert store.search_tasks(due=[("ge", T0 + timedelta(days=3))])[1] == 2
    page, total = store.search_tasks(count=2, offset=2)
    assert total == 3 and len(page) == 1
