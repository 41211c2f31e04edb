"""PostgreSQL: the two hot writes, each as one statement (data-modifying CTEs).

A hook's discharge (evaluation, cards, follow-ups, audit) and a worker's take (queued -> running
or done, the Task, audit) are each one round trip on an autocommit connection: one statement is
one transaction, so they stay all-or-nothing without BEGIN and COMMIT. The portable code in
`discharges`, `schedule` and `tasks` writes the same rows in several statements; SQLite (local,
no round trips to save) uses it, and the store tests run every case on both.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection

from cds.store import tasks as task_rows
from cds.store.records import DONE, RUNNING, FollowUp, TaskRecord
from cds.store.schema import UTCDateTime
from cds.store.sql import Trail

_MOMENTS = ARRAY(UTCDateTime())  # each checked (aware) and made UTC, as in the portable path

# The audit rows arrive as one JSON array, in trail order; a follow-up's row is written only if
# that follow-up was inserted now (not already planned by an earlier hook call).
_DISCHARGE = sa.text("""
WITH ev AS (
    INSERT INTO evaluations (hook_instance, service_id, patient_id, encounter_id, discharge_at,
                             phase, at_risk, knowledge_version, evaluation, card_uuids, created_at)
    VALUES (:hook_instance, :service_id, :patient_id, :encounter_id, :discharge_at, :phase,
            :at_risk, :knowledge_version, :evaluation, :card_uuids, :now)
    ON CONFLICT (hook_instance) DO NOTHING
    RETURNING id
), card AS (
    INSERT INTO cards (card_uuid, evaluation_id)
    SELECT u.card_uuid, ev.id FROM ev, unnest(CAST(:cards AS varchar[])) AS u(card_uuid)
    ON CONFLICT (card_uuid) DO NOTHING
), fu AS (
    INSERT INTO followups (id, evaluation_id, encounter_id, patient_id, plan_item, plan_version,
                           reason, discharge_at, due_at, overdue_at, run_after, state, attempts,
                           created_at, updated_at)
    SELECT p.id, ev.id, :encounter_id, :patient_id, p.item, :plan_version, :reason,
           :discharge_at, p.due, p.overdue, p.due, 'pending', 0, :now, :now
    FROM ev, unnest(CAST(:fu_ids AS varchar[]), CAST(:fu_items AS varchar[]),
                    CAST(:fu_dues AS timestamptz[]), CAST(:fu_overdues AS timestamptz[]))
         AS p(id, item, due, overdue)
    ON CONFLICT (encounter_id, plan_item) DO NOTHING
    RETURNING id
), trail AS (
    INSERT INTO audit (at, actor, action, evaluation_id, followup_id, task_id, detail)
    SELECT :now, :actor, a.entry ->> 'action', ev.id, a.entry ->> 'followup', NULL,
           a.entry -> 'detail'
    FROM ev, jsonb_array_elements(:audit) WITH ORDINALITY AS a(entry, n)
    WHERE a.entry ->> 'followup' IS NULL OR a.entry ->> 'followup' IN (SELECT id FROM fu)
    ORDER BY a.n
)
SELECT id FROM ev
""").bindparams(
    sa.bindparam("discharge_at", type_=UTCDateTime()), sa.bindparam("now", type_=UTCDateTime()),
    sa.bindparam("evaluation", type_=JSONB), sa.bindparam("card_uuids", type_=JSONB),
    sa.bindparam("audit", type_=JSONB), sa.bindparam("fu_dues", type_=_MOMENTS),
    sa.bindparam("fu_overdues", type_=_MOMENTS),
)

_TAKE = sa.text("""
WITH took AS (
    UPDATE followups
    SET state = :state, attempts = attempts + 1, started_at = :now, finished_at = :finished,
        updated_at = :now
    WHERE id = :fid AND state = 'queued'
    RETURNING id, attempts
), task AS (
    INSERT INTO tasks (id, followup_id, identifier_system, identifier_value, owner, patient_id,
                       status, due_at, overdue_at, version, resource, created_at, updated_at)
    SELECT :id, took.id, :identifier_system, :identifier_value, :owner, :patient_id, :status,
           :due_at, :overdue_at, :version, :resource, :now, :now
    FROM took
    ON CONFLICT (followup_id) DO NOTHING
    RETURNING id
), trail AS (
    INSERT INTO audit (at, actor, action, followup_id, task_id, detail)
    SELECT :now, :actor, 'started', took.id, NULL, jsonb_build_object('attempt', took.attempts)
    FROM took
    UNION ALL
    SELECT :now, :actor, 'task-created', took.id, task.id, :created FROM took, task
    UNION ALL
    SELECT :now, :actor, 'sent', took.id, :id, CAST('{}' AS jsonb) FROM took WHERE :done
)
SELECT task.id IS NOT NULL AS created FROM took LEFT JOIN task ON true
""").bindparams(
    sa.bindparam("now", type_=UTCDateTime()), sa.bindparam("finished", type_=UTCDateTime()),
    sa.bindparam("due_at", type_=UTCDateTime()), sa.bindparam("overdue_at", type_=UTCDateTime()),
    sa.bindparam("resource", type_=JSONB), sa.bindparam("created", type_=JSONB),
    sa.bindparam("done", type_=sa.Boolean),
)


def record_discharge(conn: Connection, trail: Trail, row: dict[str, Any],
                     evaluated: dict[str, Any], planned: list[dict[str, Any]],
                     planned_details: list[dict[str, Any]]) -> int | None:
    """`discharges.record_discharge` in one statement; None when the hookInstance was known."""
    entries = [{"action": "evaluated", "followup": None, "detail": evaluated}]
    entries += [{"action": "planned", "followup": fu["id"], "detail": detail}
                for fu, detail in zip(planned, planned_details, strict=True)]
    first = planned[0] if planned else {}  # what every follow-up row of a discharge shares
    evaluation_id: int | None = conn.execute(_DISCHARGE, {
        **{k: v for k, v in row.items() if k != "created_at"}, "now": trail.at,
        "actor": trail.actor, "cards": row["card_uuids"], "audit": entries,
        "plan_version": first.get("plan_version"), "reason": first.get("reason"),
        "fu_ids": [fu["id"] for fu in planned], "fu_items": [fu["plan_item"] for fu in planned],
        "fu_dues": [fu["due_at"] for fu in planned],
        "fu_overdues": [fu["overdue_at"] for fu in planned],
    }).scalar_one_or_none()
    return evaluation_id


def take(conn: Connection, trail: Trail, followup: FollowUp, resource: dict[str, Any],
         owner: str, *, done: bool) -> tuple[TaskRecord, bool] | None:
    """queued -> running (done when `done`) with the attempt counted, the Task stored unless the
    follow-up has one, and their audit rows: one statement. None when the row is not queued."""
    values = task_rows.values(trail, followup, resource, owner)
    created = conn.execute(_TAKE, {
        **{k: v for k, v in values.items() if k not in ("followup_id", "created_at", "updated_at")},
        "fid": followup.id, "state": DONE if done else RUNNING, "now": trail.at,
        "finished": trail.at if done else None, "actor": trail.actor, "done": done,
        "created": task_rows.created_detail(resource),
    }).scalar_one_or_none()
    if created is None:
        return None
    if created:
        return TaskRecord.from_mapping({**values, "remote_ref": None}), True
    return task_rows.of_followup(conn, followup.id), False  # a retry: the first attempt's Task
