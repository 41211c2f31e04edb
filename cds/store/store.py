"""`Store`: the one object the hooks, the workers, the API and the CLI write through.

Each public method is one transaction. Times come from an injected clock so tests and
`--as-of` replays need no patching.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cds.errors import NotFoundError, StoreError
from cds.followups.plan import Plan
from cds.followups.trigger import EvaluationLike
from cds.store import discharges, schedule
from cds.store import tasks as task_rows
from cds.store.records import AuditEntry, FollowUp, TaskRecord
from cds.store.schema import audit, evaluations

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """Evaluations, feedback, the follow-up schedule, Tasks and the audit trail."""

    def __init__(self, engine: Engine, plan: Plan, trigger: str, clock: Clock = utcnow) -> None:
        self.engine, self.plan, self.trigger, self.clock = engine, plan, trigger, clock

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One transaction; database failures become StoreError (HTTP 503, CLI exit 2)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            # The driver message can quote SQL parameters (patient ids): log the class only.
            log.warning("store unavailable: %s", type(exc.orig).__name__)
            raise StoreError("the store is unavailable") from None

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        """Readiness (/readyz): the database answers a trivial query."""
        with self.tx() as conn:
            return conn.execute(sa.text("SELECT 1")).scalar() == 1

    # --- the hooks engineer's contract -------------------------------------------------------

    def record_discharge(
        self, *, hook_instance: str, service_id: str, patient_id: str, encounter_id: str,
        discharge_at: datetime, evaluation: EvaluationLike, card_uuids: list[str],
        knowledge_version: str,
    ) -> None:
        """The evaluation and, when the trigger says so, its follow-ups: one transaction."""
        with self.tx() as conn:
            eid = discharges.record_discharge(
                conn, self.plan, self.trigger, self.clock(), hook_instance=hook_instance,
                service_id=service_id, patient_id=patient_id, encounter_id=encounter_id,
                discharge_at=discharge_at, evaluation=evaluation, card_uuids=card_uuids,
                knowledge_version=knowledge_version,
            )
        log.info("discharge recorded hookInstance=%s evaluation=%s", hook_instance, eid)

    def record_feedback(
        self, *, service_id: str, card_uuid: str, outcome: str, accepted_suggestions: list[str],
        override_reason: dict[str, Any] | None, outcome_timestamp: datetime,
    ) -> None:
        """Idempotent; may plan (trigger `accepted`) or cancel (override) follow-ups."""
        with self.tx() as conn:
            discharges.record_feedback(
                conn, self.plan, self.trigger, self.clock(), service_id=service_id,
                card_uuid=card_uuid, outcome=outcome, accepted_suggestions=accepted_suggestions,
                override_reason=override_reason, outcome_timestamp=outcome_timestamp,
            )

    # --- the schedule (workers, CLI) ---------------------------------------------------------

    def claim_due(self, as_of: datetime | None = None, limit: int = 100,
                  actor: str = "system:dispatch") -> list[str]:
        with self.tx() as conn:
            now = self.clock()
            return schedule.claim_due(conn, now, as_of or now, limit, actor)

    def release(self, fid: str, why: str, actor: str = "system:dispatch") -> bool:
        with self.tx() as conn:
            return schedule.release(conn, self.clock(), fid, why, actor)

    def start(self, fid: str, actor: str = "system:worker") -> FollowUp | None:
        with self.tx() as conn:
            return schedule.start(conn, self.clock(), fid, actor)

    def finish(self, fid: str, task_id: str, actor: str = "system:worker") -> bool:
        with self.tx() as conn:
            return schedule.finish(conn, self.clock(), fid, task_id, actor)

    def fail(self, fid: str, why: str, retry_at: datetime | None,
             actor: str = "system:worker") -> str | None:
        with self.tx() as conn:
            return schedule.fail(conn, self.clock(), fid, why, retry_at, actor)

    def reap(self, stuck_after: timedelta, max_attempts: int,
             actor: str = "system:reaper") -> list[tuple[str, str]]:
        with self.tx() as conn:
            return schedule.reap(conn, self.clock(), stuck_after, max_attempts, actor)

    def followup(self, fid: str) -> FollowUp | None:
        with self.tx() as conn:
            return schedule.get(conn, fid)

    def followups(self, state: str | None = None, limit: int = 1000) -> list[FollowUp]:
        with self.tx() as conn:
            return schedule.listing(conn, state, limit)

    def evaluation_json(self, evaluation_id: int) -> dict[str, Any]:
        with self.tx() as conn:
            value = conn.execute(sa.select(evaluations.c.evaluation)
                                 .where(evaluations.c.id == evaluation_id)).scalar_one()
        return dict(value)

    # --- Tasks -------------------------------------------------------------------------------

    def save_task(self, followup: FollowUp, resource: dict[str, Any], owner: str,
                  actor: str = "system:worker") -> tuple[TaskRecord, bool]:
        with self.tx() as conn:
            return task_rows.save(conn, self.clock(), followup, resource, owner, actor)

    def mark_written_back(self, task_id: str, ref: str, actor: str = "system:worker") -> None:
        with self.tx() as conn:
            task_rows.mark_remote(conn, self.clock(), task_id, ref, actor)

    def task(self, task_id: str) -> TaskRecord | None:
        with self.tx() as conn:
            return task_rows.get(conn, task_id)

    def search_tasks(self, **filters: Any) -> tuple[list[TaskRecord], int]:
        with self.tx() as conn:
            return task_rows.search(conn, **filters)

    def replace_task(self, task_id: str, expected_version: int | None,
                     change: Callable[[TaskRecord, datetime], dict[str, Any]], actor: str,
                     detail: dict[str, Any]) -> TaskRecord:
        """Apply `change(current, now) -> new resource` under the version guard."""
        with self.tx() as conn:
            current = task_rows.get(conn, task_id)
            now = self.clock()
            if current is None:
                raise NotFoundError(f"Task {task_id} not found")
            resource = change(current, now)
            return task_rows.replace(conn, now, task_id, expected_version, resource, actor,
                                     detail)

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
        with self.tx() as conn:
            return [AuditEntry.from_row(r) for r in conn.execute(q)]
