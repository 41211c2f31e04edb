"""FHIR Task rows: created once per follow-up, changed only under a version guard (If-Match)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cds.errors import NotFoundError, PreconditionError
from cds.store.records import FollowUp, TaskRecord
from cds.store.schema import tasks
from cds.store.sql import insert_ignore, write_audit

t = tasks.c

# FHIR search prefixes for dates, as SQL comparisons on the due moment.
_OPS = {"eq": "__eq__", "ge": "__ge__", "gt": "__gt__", "le": "__le__", "lt": "__lt__"}


def save(conn: Connection, now: datetime, followup: FollowUp, resource: dict[str, Any],
         owner: str, actor: str) -> tuple[TaskRecord, bool]:
    """Store the Task for a follow-up unless one exists; returns (the stored Task, created?)."""
    identifier = resource["identifier"][0]
    created = insert_ignore(conn, tasks, {
        "id": resource["id"], "followup_id": followup.id,
        "identifier_system": identifier["system"], "identifier_value": identifier["value"],
        "owner": owner, "patient_id": followup.patient_id, "status": resource["status"],
        "due_at": followup.due_at, "overdue_at": followup.overdue_at, "version": 1,
        "resource": resource, "created_at": now, "updated_at": now,
    }, ["followup_id"]) is not None
    if created:
        write_audit(conn, now, actor, "task-created", followup_id=followup.id,
                    task_id=resource["id"], detail={"status": resource["status"]})
    row = conn.execute(sa.select(tasks).where(t.followup_id == followup.id)).one()
    return TaskRecord.from_row(row), created


def mark_remote(conn: Connection, now: datetime, task_id: str, ref: str, actor: str) -> None:
    conn.execute(tasks.update().where(t.id == task_id).values(remote_ref=ref[:256]))
    write_audit(conn, now, actor, "written-back", task_id=task_id, detail={"remote": ref[:256]})


def get(conn: Connection, task_id: str) -> TaskRecord | None:
    row = conn.execute(sa.select(tasks).where(t.id == task_id)).first()
    return TaskRecord.from_row(row) if row else None


def search(
    conn: Connection, *, owner: str | None = None, statuses: Sequence[str] = (),
    patient_id: str | None = None, due: Sequence[tuple[str, datetime]] = (),
    count: int = 50, offset: int = 0,
) -> tuple[list[TaskRecord], int]:
    """Tasks matching every given filter, soonest due first; also the total for the Bundle."""
    where: list[Any] = []
    if owner:
        where.append(t.owner == owner)
    if statuses:
        where.append(t.status.in_(list(statuses)))
    if patient_id:
        where.append(t.patient_id == patient_id)
    for op, moment in due:
        where.append(getattr(t.due_at, _OPS[op])(moment))
    total = conn.execute(sa.select(sa.func.count()).select_from(tasks).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(tasks).where(*where).order_by(t.due_at, t.id).limit(count).offset(offset)
    )
    return [TaskRecord.from_row(r) for r in rows], int(total)


def replace(conn: Connection, now: datetime, task_id: str, expected_version: int | None,
            resource: dict[str, Any], actor: str, detail: dict[str, Any]) -> TaskRecord:
    """Write a changed Task if it is still at `expected_version` (None: the current one)."""
    current = get(conn, task_id)
    if current is None:
        raise NotFoundError(f"Task {task_id} not found")
    version = current.version if expected_version is None else expected_version
    changed = conn.execute(
        tasks.update().where(t.id == task_id, t.version == version)
        .values(status=resource["status"], resource=resource, version=version + 1,
                updated_at=now)
    ).rowcount == 1
    if not changed:
        raise PreconditionError(f"Task {task_id} is at version {current.version}, not {version}")
    write_audit(conn, now, actor, "task-changed", followup_id=current.followup_id,
                task_id=task_id, detail=detail)
    updated = get(conn, task_id)
    assert updated is not None
    return updated
