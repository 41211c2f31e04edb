"""`Store`: the one object the hooks, the workers, the API and the CLI write through.

Each public method is one transaction (a unit of work) with its audit rows written together at
its end. Times come from an injected clock so tests and `--as-of` replays need no patching.

A unit that is one statement (`single`) runs on PostgreSQL without BEGIN and COMMIT: the
statement is its own transaction, and two round trips are saved. The hot writes are made single
statements there (`pgwrites`).

A unit that meets a dead pooled connection (the database restarted, a proxy cut an idle
connection) runs once more on a fresh one. That is always safe when it failed before COMMIT
(the transaction died with the connection); a disconnect during COMMIT, or during a single
statement, leaves unknown whether it was applied, so only idempotent units run again there:
every write is keyed by a unique constraint or guarded by the row's expected state, so a second
run finds the first one's work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cds.errors import NotFoundError, StoreError
from cds.followups.plan import Plan
from cds.followups.trigger import EvaluationLike
from cds.store import discharges, pgwrites, schedule
from cds.store import tasks as task_rows
from cds.store.records import AuditEntry, FollowUp, TaskRecord
from cds.store.schema import audit
from cds.store.sql import Trail

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
T = TypeVar("T")
# What a unit of work sees: the transaction's connection and the audit rows it adds.
Work = Callable[[Connection, Trail], T]
WORKER = "system:worker"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _unavailable(exc: sa.exc.DBAPIError) -> StoreError:
    # The driver message can quote SQL parameters (patient ids): log the class only.
    log.warning("store unavailable: %s", type(exc.orig).__name__)
    return StoreError("the store is unavailable")


class Store:
    """Evaluations, feedback, the follow-up schedule, Tasks and the audit trail."""

    def __init__(self, engine: Engine, plan: Plan, trigger: str, clock: Clock = utcnow) -> None:
        self.engine, self.plan, self.trigger, self.clock = engine, plan, trigger, clock
        self._autocommit: tuple[Engine, Engine] | None = None  # (engine, its autocommit view)

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One transaction for callers with their own SQL (tools, benchmarks); no retry.
        Database failures become StoreError (HTTP 503, CLI exit 2)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise _unavailable(exc) from None

    def unit(self, work: Work[T], *, actor: str = "", idempotent: bool = True,
             single: bool = False) -> T:
        """Run `work` as one transaction and write its audit trail; one retry on a dead
        connection (see the module docstring), then StoreError. `single`: on PostgreSQL `work`
        sends one statement (its audit rows included) or only reads, so it runs in autocommit."""
        autocommit = single and self.engine.dialect.name == "postgresql"
        engine = self._autocommit_view() if autocommit else self.engine
        retried = False
        while True:
            committing = autocommit  # an autocommit statement commits as it runs
            try:
                with engine.begin() as conn:
                    trail = Trail(self.clock(), actor)
                    result = work(conn, trail)
                    trail.write(conn)
                    committing = True
                return result
            except sa.exc.DBAPIError as exc:
                if not retried and exc.connection_invalidated and (idempotent or not committing):
                    log.warning("store: connection lost (%s); running the unit again",
                                type(exc.orig).__name__)
                    retried = True
                    continue
                if isinstance(exc, sa.exc.OperationalError):
                    raise _unavailable(exc) from None
                raise

    def _autocommit_view(self) -> Engine:
        """The engine in autocommit (same pool), made again if the engine was replaced."""
        if self._autocommit is None or self._autocommit[0] is not self.engine:
            self._autocommit = (self.engine, self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        return self._autocommit[1]

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        """Readiness (/readyz): the database answers a trivial query."""
        return self.unit(lambda conn, _: conn.execute(sa.text("SELECT 1")).scalar() == 1,
                         single=True)

    # --- the hooks engineer's contract -------------------------------------------------------

    def record_discharge(
        self, *, hook_instance: str, service_id: str, patient_id: str, encounter_id: str,
        discharge_at: datetime, evaluation: EvaluationLike, card_uuids: list[str],
        knowledge_version: str,
    ) -> None:
        """The evaluation and, when the trigger says so, its follow-ups: one transaction."""
        eid = self.unit(lambda conn, trail: discharges.record_discharge(
            conn, self.plan, self.trigger, trail.at, hook_instance=hook_instance,
            service_id=service_id, patient_id=patient_id, encounter_id=encounter_id,
            discharge_at=discharge_at, evaluation=evaluation, card_uuids=card_uuids,
            knowledge_version=knowledge_version,
        ), single=True)
        log.info("discharge recorded hookInstance=%s evaluation=%s", hook_instance, eid)

    def record_feedback(
        self, *, service_id: str, card_uuid: str, outcome: str, accepted_suggestions: list[str],
        override_reason: dict[str, Any] | None, outcome_timestamp: datetime,
    ) -> None:
        """Idempotent; may plan (trigger `accepted`) or cancel (override) follow-ups."""
        self.unit(lambda conn, trail: discharges.record_feedback(
            conn, self.plan, self.trigger, trail.at, service_id=service_id,
            card_uuid=card_uuid, outcome=outcome, accepted_suggestions=accepted_suggestions,
            override_reason=override_reason, outcome_timestamp=outcome_timestamp,
        ))

    # --- the schedule (workers, CLI) ---------------------------------------------------------

    def claim_due(self, as_of: datetime | None = None, limit: int = 100,
                  actor: str = "system:dispatch") -> list[str]:
        # Not re-run after an unknown COMMIT: it would claim a second batch, and the first one's
        # ids would be lost to this caller (the reaper re-pends them).
        return self.unit(lambda conn, trail: schedule.claim_due(conn, trail, as_of or trail.at,
                                                                limit), actor=actor,
                         idempotent=False)

    def release(self, fids: list[str], why: str, actor: str = "system:dispatch") -> list[str]:
        return self.unit(lambda conn, trail: schedule.release(conn, trail, fids, why),
                         actor=actor)

    def start(self, fid: str, actor: str = WORKER) -> FollowUp | None:
        """queued -> running; None when the row is not queued (a duplicate message)."""
        return self.unit(lambda conn, trail: schedule.take(conn, trail, fid), actor=actor)

    def queued(self, fid: str) -> tuple[FollowUp, dict[str, Any]] | None:
        """A queued row and its evaluation (what a worker builds the Task from), else None."""
        return self.unit(lambda conn, _: schedule.queued(conn, fid), single=True)

    def take(self, followup: FollowUp, resource: dict[str, Any], owner: str, *, finish: bool,
             actor: str = WORKER) -> tuple[TaskRecord, bool] | None:
        """One transaction: queued -> running (-> done when `finish`, i.e. no write-back has to
        happen in between), the attempt counted, and `resource` stored as the follow-up's Task
        unless it has one. Returns (the stored Task, created?), or None when not queued."""
        def work(conn: Connection, trail: Trail) -> tuple[TaskRecord, bool] | None:
            if conn.dialect.name == "postgresql":
                return pgwrites.take(conn, trail, followup, resource, owner, done=finish)
            if schedule.take(conn, trail, followup.id, done=finish) is None:
                return None
            record, created = task_rows.save(conn, trail, followup, resource, owner)
            if finish:
                schedule.sent(trail, followup.id, record.id)
            return record, created

        return self.unit(work, actor=actor, single=True)

    def complete(self, fid: str, task_id: str, remote_ref: str | None,
                 actor: str = WORKER) -> bool:
        """After the write-back: the EHR's reference (when it took the Task now), running -> done."""
        def work(conn: Connection, trail: Trail) -> bool:
            if remote_ref is not None:
                task_rows.mark_remote(conn, trail, task_id, remote_ref)
            return schedule.finish(conn, trail, fid, task_id)

        return self.unit(work, actor=actor)

    def finish(self, fid: str, task_id: str, actor: str = WORKER) -> bool:
        return self.complete(fid, task_id, None, actor)

    def fail(self, fid: str, why: str, retry_at: datetime | None, actor: str = WORKER, *,
             taken: bool = True) -> str | None:
        return self.unit(lambda conn, trail: schedule.fail(conn, trail, fid, why, retry_at,
                                                           taken=taken), actor=actor)

    def reap(self, stuck_after: timedelta, max_attempts: int,
             actor: str = "system:reaper") -> list[tuple[str, str]]:
        return self.unit(lambda conn, trail: schedule.reap(conn, trail, stuck_after,
                                                           max_attempts), actor=actor)

    def followup(self, fid: str) -> FollowUp | None:
        return self.unit(lambda conn, _: schedule.get(conn, fid), single=True)

    def followups(self, state: str | None = None, limit: int = 1000) -> list[FollowUp]:
        return self.unit(lambda conn, _: schedule.listing(conn, state, limit), single=True)

    # --- Tasks -------------------------------------------------------------------------------

    def save_task(self, followup: FollowUp, resource: dict[str, Any], owner: str,
                  actor: str = WORKER) -> tuple[TaskRecord, bool]:
        return self.unit(lambda conn, trail: task_rows.save(conn, trail, followup, resource,
                                                            owner), actor=actor)

    def task(self, task_id: str) -> TaskRecord | None:
        return self.unit(lambda conn, _: task_rows.get(conn, task_id), single=True)

    def search_tasks(self, **filters: Any) -> tuple[list[TaskRecord], int]:
        return self.unit(lambda conn, _: task_rows.search(conn, **filters))

    def replace_task(self, task_id: str, expected_version: int | None,
                     change: Callable[[TaskRecord, datetime], dict[str, Any]], actor: str,
                     detail: dict[str, Any]) -> TaskRecord:
        """Apply `change(current, now) -> new resource` under the version guard."""
        def work(conn: Connection, trail: Trail) -> TaskRecord:
            current = task_rows.get(conn, task_id)
            if current is None:
                raise NotFoundError(f"Task {task_id} not found")
            resource = change(current, trail.at)
            return task_rows.replace(conn, trail, task_id, expected_version, resource, detail)

        # A PATCH without If-Match run twice would add its note twice: no re-run after COMMIT.
        return self.unit(work, actor=actor, idempotent=False)

    # --- audit -------------------------------------------------------------------------------

    def audit_trail(self, *, followup_id: str | None = None, task_id: str | None = None,
                    actions: Sequence[str] = ()) -> list[AuditEntry]:
        q = sa.select(audit).order_by(audit.c.id)
        if followup_id:
            q = q.where(audit.c.followup_id == followup_id)
        if task_id:
            q = q.where(audit.c.task_id == task_id)
        if actions:
            q = q.where(audit.c.action.in_(list(actions)))
        return self.unit(lambda conn, _: [AuditEntry.from_row(r) for r in conn.execute(q)],
                         single=True)
