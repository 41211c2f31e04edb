"""The whole follow-up path with real parts: PostgreSQL, Redis, `celery worker` and `celery beat`
processes, the `cds` command, and the EHR's FHIR server on loopback. Never eager mode."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery import Celery
from flask.testing import FlaskClient

from cds.app import create_app
from cds.config import Settings
from cds.followups.ids import followup_id
from cds.followups.task import validate_task
from cds.store import DONE, PENDING, RUNNING, Store
from workers.celery_app import celery_config

from ..store.helpers import discharge
from .hookcalls import NOT_RISKY, RISKY, discharge_request
from .services import CeleryProcesses, FhirTaskServer, RedisServer, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

FIRST = "pelvic-floor-call-2d"


def cds(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cds.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def state(store: Store, fid: str) -> str | None:
    row = store.followup(fid)
    return row.state if row else None


def test_dispatch_at_two_days_creates_exactly_the_first_task(
    pg_store: Store, celery_procs: Callable[..., CeleryProcesses], worker_env: dict[str, str],
    ehr: FhirTaskServer,
) -> None:
    now = datetime.now(UTC)
    discharge(pg_store, at=now)
    assert {f.state for f in pg_store.followups()} == {PENDING}
    celery_procs().worker()

    out = cds(worker_env, "followups", "dispatch", "--as-of", (now + timedelta(days=2, minutes=1)).isoformat())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "claimed 1, sent 1, released 0"

    fid = followup_id("enc-1", FIRST)
    wait_for(lambda: state(pg_store, fid) == DONE, 30, "the first follow-up to be done")
    tasks, total = pg_store.search_tasks()
    assert total == 1 and tasks[0].followup_id == fid
    task = tasks[0].fhir()
    validate_task(task)
    assert task["code"]["coding"][0]["code"] == FIRST
    assert task["for"] == {"reference": "Patient/pat-1"}
    assert task["focus"] == {"reference": "Encounter/enc-1"}
    assert task["owner"] == {"reference": "CareTeam/bekkenbodem-nazorg"}
    assert task["identifier"] == [{"system": "urn:bodem-cds:followup-task", "value": fid}]
    assert ehr.posts == 1 and len(ehr.tasks) == 1 and ehr.bad_auth == 0
    assert tasks[0].remote_ref == "Task/ehr-1"
    assert [f.state for f in pg_store.followups()] == [DONE, PENDING, PENDING]

    again = cds(worker_env, "followups", "dispatch", "--as-of", (now + timedelta(days=2, minutes=1)).isoformat())
    assert again.stdout.strip() == "claimed 0, sent 0, released 0"


def test_a_backlog_beyond_one_dispatch_drains_without_waiting_for_beat(
    pg_store: Store, celery_procs: Callable[..., CeleryProcesses], worker_env: dict[str, str],
    ehr: FhirTaskServer,
) -> None:
    for n in range(4):  # 12 due follow-ups; one dispatch of 1-row batches claims 10
        discharge(pg_store, hook=f"h{n}", encounter=f"enc-{n}", at=datetime.now(UTC) - timedelta(days=100))
    env = {"CDS_FOLLOWUP_BATCH": "1", "CDS_DISPATCH_INTERVAL_SECONDS": "60"}
    celery_procs(**env).worker()  # no beat: only the dispatch's own follow-up can send the rest
    sender = Celery("test-sender")
    sender.conf.update(celery_config(Settings.from_env({**worker_env, **env})))
    sender.send_task("cds.followups.dispatch_due", queue=worker_env["CDS_CELERY_QUEUE"])
    wait_for(lambda: {f.state for f in pg_store.followups()} == {DONE}, 30, "all 12 to be done")
    assert pg_store.search_tasks()[1] == 12 and len(ehr.tasks) == 12
    claims = pg_store.audit_trail(actions=["claimed"])
    assert len(claims) == 12 and len({e.followup_id for e in claims}) == 12


def test_worker_killed_mid_task_then_restarted_makes_exactly_one_task(
    pg_store: Store, celery_procs: Callable[..., CeleryProcesses], ehr: FhirTaskServer,
) -> None:
    ehr.delay = 2.0  # the first write-back is in flight when the worker dies
    discharge(pg_store, at=datetime.now(UTC) - timedelta(days=2, hours=1))
    fid = followup_id("enc-1", FIRST)
    procs = celery_procs()
    worker = procs.worker("doomed")
    procs.beat()
    wait_for(lambda: ehr.posts >= 1, 30, "the worker to be writing the Task")
    procs.kill(worker)  # SIGKILL to the worker and its pool child, mid-request
    assert state(pg_store, fid) == RUNNING
    ehr.delay = 0.0

    procs.worker("restarted")
    wait_for(lambda: state(pg_store, fid) == DONE, 45, "the reaper and the new worker to finish")
    assert pg_store.search_tasks()[1] == 1
    assert len(ehr.tasks) == 1 and ehr.posts >= 2  # the retry found it by identifier
    actions = [e.action for e in pg_store.audit_trail(followup_id=fid)]
    assert "reaped" in actions and actions.count("task-created") == 1
    assert pg_store.followup(fid).attempts == 2  # type: ignore[union-attr]


def test_fhir_server_failing_then_recovering_retries_to_exactly_one_task(
    pg_store: Store, celery_procs: Callable[..., CeleryProcesses], ehr: FhirTaskServer,
) -> None:
    ehr.fail_next = 2
    discharge(pg_store, at=datetime.now(UTC) - timedelta(days=2, hours=1))
    fid = followup_id("enc-1", FIRST)
    procs = celery_procs()
    procs.worker()
    procs.beat()
    wait_for(lambda: state(pg_store, fid) == DONE, 45, "the follow-up to be done after retries")
    assert ehr.posts == 3 and len(ehr.tasks) == 1
    row = pg_store.followup(fid)
    assert row is not None and row.attempts == 3 and row.last_error is None
    retries = pg_store.audit_trail(followup_id=fid, actions=["retry"])
    assert [e.detail["why"] for e in retries] == ["FHIR server answered HTTP 503"] * 2
    assert pg_store.search_tasks()[1] == 1


def test_redis_stopped_during_a_discharge_the_hook_answers_and_followups_go_out_later(
    pg_store: Store, pg_url: str, celery_procs: Callable[..., CeleryProcesses],
    private_redis: RedisServer, ehr: FhirTaskServer, tmp_path: Path,
) -> None:
    procs = celery_procs(CDS_BROKER_URL=private_redis.url)
    procs.worker()
    procs.beat()
    settings = replace(Settings.from_env({}), database_url=pg_url, broker_url=private_redis.url,
                       auth_disabled=True, instance_dir=tmp_path)
    app = create_app(settings)
    try:
        _hook_then_redis_back(app.test_client(), settings, pg_store, private_redis, ehr)
    finally:
        app.extensions["cds.store"].close()


def _hook_then_redis_back(client: FlaskClient, settings: Settings, pg_store: Store,
                          private_redis: RedisServer, ehr: FhirTaskServer) -> None:

    body, _, _ = discharge_request(NOT_RISKY)  # warm-up through the real engine: no risk, no plan
    assert client.post("/cds-services/pfd-risk-discharge", json=body).status_code == 200
    assert pg_store.followups() == []

    private_redis.stop()
    body, patient, encounter = discharge_request(RISKY)
    started = time.monotonic()
    response = client.post("/cds-services/pfd-risk-discharge", json=body)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and response.json["cards"]
    assert elapsed < settings.fhir_budget_s, f"hook took {elapsed:.2f} s with Redis down"
    rows = pg_store.followups()
    assert len(rows) == 3 and {r.state for r in rows} == {PENDING}  # the outbox has them
    assert {r.patient_id for r in rows} == {patient}
    time.sleep(2)  # beat ticks fail while Redis is down; nothing may be lost or marked failed
    assert {r.state for r in pg_store.followups()} <= {PENDING}

    private_redis.start()
    wait_for(lambda: {r.state for r in pg_store.followups()} == {DONE}, 60,
             "the follow-ups to go out once Redis is back")
    tasks, total = pg_store.search_tasks(patient_id=patient)
    assert total == 3 and len(ehr.tasks) == 3
    reason = tasks[0].resource["reasonCode"]["text"]
    assert reason.startswith("Verhoogd risico") and tasks[0].resource["focus"]["reference"] == f"Encounter/{encounter}"
