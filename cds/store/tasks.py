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
from cds.store.sql import Trail, insert_ignore

t = tasks.c

# FHIR search prefixes for dates, as SQL comparisons on the due moment.
_OPS = {"eq": "__eq__", "ge": "__ge__", "gt": "__gt__", "le": "__le__", "lt": "__lt__"}
_BY_FOLLOWUP = sa.select(tasks).where(t.followup_id == sa.bindparam("fid"))

def values(trail: Trail, followup: FollowUp, resource: dict[str, Any], owner: str) -> dict[str, Any]:
    """The tasks row of a follow-up's new Task."""
    identifier = resource["identifier"][0]
    return {
        "id": resource["id"], "followup_id": followup.id,
        "identifier_system": identifier["system"], "identifier_value": identifier["value"],
        "owner": owner, "patient_id": followup.patient_id, "status": resource["status"],
        "due_at": followup.due_at, "overdue_at": followup.overdue_at, "version": 1,
        "resource": resource, "created_at": trail.at, "updated_at": trail.at,
    }


def created_detail(resource: dict[str, Any]) -> dict[str, Any]:
    """The detail of a Task's `task-created` audit entry."""
    return {"status": resource["status"]}


def save(conn: Connection, trail: Trail, followup: FollowUp, resource: dict[str, Any],
         owner: str) -> tuple[TaskRecord, bool]:
    """Store the Task for a follow-up unless one exists; returns (the stored Task, created?).

    A retry after a failed write-back finds the Task of its first attempt and sends that one.
    """
    row = values(trail, followup, resource, owner)
    if insert_ignore(conn, tasks, ["followup_id"], row).first() is None:
        return of_followup(conn, followup.id), False
    trail.add("task-created", followup_id=followup.id, task_id=row["id"],
              detail=created_detail(resource))
    return TaskRecord.from_mapping({**row, "remote_ref": None}), True


def of_followup(conn: Connection, fid: str) -> TaskRecord:
    return TaskRecord.from_row(conn.execute(_BY_FOLLOWUP, {"fid": fid}).one())


def mark_remote(conn: Connection, trail: Trail, task_id: str, ref: str) -> None:
    """Keep the EHR's reference of the Task; once (a unit run again finds it set)."""
    changed = conn.execute(
        tasks.update().where(t.id == task_id, t.remote_ref.is_(None)).values(remote_ref=ref[:256])
    ).rowcount == 1
    if changed:
        trail.add("written-back", task_id=task_id, detail={"remote": ref[:256]})


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


def replace(conn: Connection, trail: Trail, task_id: str, expected_version: int | None,
            resource: dict[str, Any], detail: dict[str, Any]) -> TaskRecord:
    """Write a changed Task if it is still at `expected_version` (None: the current one)."""
    current = get(conn, task_id)
    if current is None:
        raise NotFoundError(f"Task {task_id} not found")
    version = current.version if expected_version is None else expected_version
    changed = conn.execute(
        tasks.update().where(t.id == task_id, t.version == version)
        .values(status=resource["status"], resource=resource, version=version + 1,
                updated_at=trail.at)
    ).rowcount == 1
    if not changed:
        raise PreconditionError(f"Task {task_id} is at version {current.version}, not {version}")
    trail.add("task-changed", followup_id=current.followup_id, task_id=task_id, detail=detail)
    updated = get(conn, task_id)
    assert updated is not None
    return updated
