"""SQL helpers shared by the store's modules: dialect-aware INSERT ... ON CONFLICT DO NOTHING,
built once per (dialect, table), and the audit rows of one unit of work, written together.

Statements are built once and executed with parameters, so SQLAlchemy compiles each shape once.
Every INSERT here has a RETURNING clause: with it, a list of parameter sets goes out as one
multi-row INSERT (SQLAlchemy's "insertmanyvalues"); without it, psycopg would send one INSERT per
row (pipelined, but each parsed and executed on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from cds.store.schema import audit

_AUDIT_INSERT = audit.insert().returning(audit.c.id)


@cache
def _insert_ignore(dialect: str, table: sa.Table, conflict: tuple[str, ...],
                   returning: tuple[sa.Column[Any], ...]) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=conflict)
    return stmt.returning(*(returning or table.primary_key.columns))


def insert_ignore(conn: Connection, table: sa.Table, conflict: Sequence[str],
                  rows: dict[str, Any] | list[dict[str, Any]],
                  *returning: sa.Column[Any]) -> sa.CursorResult[Any]:
    """INSERT ... ON CONFLICT DO NOTHING of one row or many (one statement); the result holds
    the `returning` columns (default: the primary key) of the rows actually inserted."""
    stmt = _insert_ignore(conn.dialect.name, table, tuple(conflict), returning)
    return conn.execute(stmt, rows)


class Trail:
    """The audit rows of one unit of work (one time, one actor), sent as one INSERT by `write`."""

    def __init__(self, at: datetime, actor: str) -> None:
        self.at, self.actor = at, actor
        self.rows: list[dict[str, Any]] = []

    def add(self, action: str, *, evaluation_id: int | None = None,
            followup_id: str | None = None, task_id: str | None = None,
            detail: dict[str, Any] | None = None) -> None:
        self.rows.append({
            "at": self.at, "actor": self.actor, "action": action, "evaluation_id": evaluation_id,
            "followup_id": followup_id, "task_id": task_id, "detail": detail or {},
        })

    def write(self, conn: Connection) -> None:
        if self.rows:
            conn.execute(_AUDIT_INSERT, self.rows)
            self.rows = []
