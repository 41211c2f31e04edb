"""Section 5: due follow-ups dispatched through a real Redis to 2 Celery worker processes
(`celery worker --concurrency 1`, twice), on PostgreSQL, using the follow-ups engineer's store,
dispatch and tasks unchanged.

Seed: discharges of a real risky evaluation (Synthea 1071287 at its delivery), each planning the
plan's items, all due. Dispatch: `cds.followups.run.dispatch` in this process (what `cds followups
dispatch` does), batch after batch, onto the queue the workers consume. Rate: follow-ups done per
second from the first claim to the last done. Proof: follow-up rows done, Task rows, distinct
Task identifiers, distinct follow-up ids among Tasks and `task-created` audit entries are all
exactly N: none lost, none duplicated.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.data import REPO, HookCase
from bench.services import postgres_database, redis_server, wait_for
from cds.config import Settings
from cds.engine import evaluate
from cds.knowledge import Knowledge


@dataclass
class FollowupResult:
    planned: int
    elapsed_s: float
    done: int
    task_rows: int
    distinct_identifiers: int
    distinct_followups: int
    created_audits: int
    seed_s: float

    @property
    def rate(self) -> float:
        return self.done / self.elapsed_s

    @property
    def exact(self) -> bool:
        return self.planned == self.done == self.task_rows == self.distinct_identifiers == \
            self.distinct_followups == self.created_audits


def _seed(store: Any, evaluation: Any, discharges: int) -> None:
    from cds.store import discharges as discharge_rows

    at = datetime.now(UTC) - timedelta(days=365)  # every plan item is due
    with store.tx() as conn:
        for n in range(discharges):
            discharge_rows.record_discharge(
                conn, store.plan, store.trigger, store.clock(), hook_instance=str(uuid.uuid4()),
                service_id="pfd-risk-discharge", patient_id=f"bench-pat-{n}", encounter_id=f"bench-enc-{n}",
                discharge_at=at, evaluation=evaluation, card_uuids=[str(uuid.uuid4())], knowledge_version="bench")


def _worker(env: dict[str, str], workdir: Path, name: str) -> subprocess.Popen[bytes]:
    log = open(workdir / f"worker-{name}.log", "ab")  # noqa: SIM115 - the child writes to it
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery", "worker", "--concurrency", "1",
         "--hostname", f"bench-{name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel", "WARNING"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc


def run(kb: Knowledge, case: HookCase, workdir: Path, *, quick: bool, count: int | None = None) -> FollowupResult:
    from celery import Celery

    from cds.followups import run as followup_run
    from cds.store import create_store
    from cds.store.schema import audit, followups, tasks
    from workers.celery_app import celery_config

    wanted = count or (300 if quick else 10_000)
    evaluation = evaluate(kb, [e["resource"] for e in case.bundle["entry"]], as_of=datetime(2016, 12, 31, tzinfo=UTC),
                          encounter_id=case.encounter_id)
    if not evaluation.at_risk:
        raise RuntimeError(f"{case.name} is not at risk: it plans no follow-ups")
    with redis_server(workdir) as redis_url, postgres_database() as db_url:
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        settings = replace(Settings.from_env({}), database_url=db_url, broker_url=redis_url, redis_url=redis_url,
                           instance_dir=workdir / "instance", celery_queue=queue, followup_batch=500)
        store = create_store(settings)
        per_discharge = len(store.plan.items)
        t0 = time.perf_counter()
        _seed(store, evaluation, -(-wanted // per_discharge))
        seed_s = time.perf_counter() - t0
        with store.tx() as conn:
            planned = conn.execute(sa.select(sa.func.count()).select_from(followups)).scalar_one()
        env = {**os.environ, "CDS_DATABASE_URL": db_url, "CDS_BROKER_URL": redis_url, "CDS_REDIS_URL": redis_url,
               "CDS_CELERY_QUEUE": queue, "CDS_INSTANCE_DIR": str(workdir / "instance"),
               "CDS_FOLLOWUP_BATCH": "500"}
        env.pop("CDS_TASK_FHIR_BASE_URL", None)
        procs = [_worker(env, workdir, name) for name in ("w1", "w2")]
        sender = Celery("bench-dispatch")
        sender.conf.update(celery_config(settings))
        try:
            wait_for(lambda: all("ready" in (workdir / f"worker-{n}.log").read_text() or _pinged(sender)
                                 for n in ("w1", "w2")), 60, "the celery workers", every=0.2)

            def done_count() -> int:
                with store.tx() as conn:
                    return int(conn.execute(sa.select(sa.func.count()).select_from(followups)
                                            .where(followups.c.state == "done")).scalar_one())

            t0 = time.perf_counter()
            def enqueue(fid: str) -> None:
                sender.send_task("cds.followups.run", (fid,), queue=queue, retry=False)

            while True:
                batch = followup_run.dispatch(store, settings, enqueue)
                if batch.released:
                    raise RuntimeError(f"the broker refused messages: {len(batch.released)} released")
                if not batch.claimed:
                    break
            wait_for(lambda: done_count() >= planned, 600, "every follow-up to be done", every=0.05)
            elapsed = time.perf_counter() - t0
            time.sleep(1.0)  # a late duplicate would show up now
            with store.tx() as conn:
                def scalar(query: Any) -> int:
                    return int(conn.execute(query).scalar_one())

                done = scalar(sa.select(sa.func.count()).select_from(followups).where(followups.c.state == "done"))
                task_rows = scalar(sa.select(sa.func.count()).select_from(tasks))
                identifiers = scalar(sa.select(sa.func.count(sa.distinct(
                    tasks.c.identifier_system + "|" + tasks.c.identifier_value))))
                distinct_fu = scalar(sa.select(sa.func.count(sa.distinct(tasks.c.followup_id))))
                created = scalar(sa.select(sa.func.count()).select_from(audit).where(audit.c.action == "task-created"))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            store.close()
    return FollowupResult(planned, elapsed, done, task_rows, identifiers, distinct_fu, created, seed_s)


def _pinged(app: Any) -> bool:
    try:
        return len(app.control.ping(timeout=0.5) or []) >= 2
    except Exception:  # the broker or workers are still starting
        return False
