"""Rows as plain frozen objects, so callers never hold a live database row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Follow-up states. pending -> queued (claimed) -> running -> done | failed; pending/queued ->
# cancelled (override); queued/running -> pending again (retry, reaper).
PENDING, QUEUED, RUNNING, DONE, FAILED, CANCELLED = (
    "pending", "queued", "running", "done", "failed", "cancelled",
)
STATES = (PENDING, QUEUED, RUNNING, DONE, FAILED, CANCELLED)


@dataclass(frozen=True)
class FollowUp:
    id: str
    evaluation_id: int
    encounter_id: str
    patient_id: str
    plan_item: str
    plan_version: str
    reason: str
    discharge_at: datetime
    due_at: datetime
    overdue_at: datetime
    run_after: datetime
    state: str
    attempts: int
    last_error: str | None
    claimed_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> FollowUp:
        return cls(**{k: row._mapping[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class TaskRecord:
    id: str
    followup_id: str
    owner: str
    patient_id: str
    status: str
    due_at: datetime
    overdue_at: datetime
    version: int
    resource: dict[str, Any]
    remote_ref: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> TaskRecord:
        return cls.from_mapping(row._mapping)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TaskRecord:
        return cls(**{k: values[k] for k in cls.__dataclass_fields__})

    def fhir(self) -> dict[str, Any]:
        """The Task as served: the stored resource with meta.versionId (the If-Match version)."""
        out = dict(self.resource)
        out["meta"] = {
            "versionId": str(self.version),
            "lastUpdated": self.updated_at.isoformat().replace("+00:00", "Z"),
        }
        return out


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    evaluation_id: int | None
    followup_id: str | None
    task_id: str | None
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        return cls(**{k: row._mapping[k] for k in cls.__dataclass_fields__})
