"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from cds.store.schema import audit


def insert_ignore(
    conn: Connection, table: sa.Table, values: dict[str, Any], conflict: Sequence[str],
    returning: sa.Column[Any] | None = None,
) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING; returns the `returning` value, or None when it existed."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    if returning is None:
        # rowcount is not reliable for ON CONFLICT with every driver (psycopg reports -1).
        inserted = conn.execute(stmt.returning(*table.primary_key.columns)).first()
        return True if inserted is not None else None
    return conn.execute(stmt.returning(returning)).scalar_one_or_none()


def write_audit(
    conn: Connection, at: datetime, actor: str, action: str, *, evaluation_id: int | None = None,
    followup_id: str | None = None, task_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(audit.insert().values(
        at=at, actor=actor, action=action, evaluation_id=evaluation_id,
        followup_id=followup_id, task_id=task_id, detail=detail or {},
    ))
