"""The durable store (SQLAlchemy 2): SQLite embedded by default, PostgreSQL in production.

    schema.py      the tables
    engine.py      engines, SQLite pragmas, schema creation
    records.py     rows as frozen objects; follow-up states
    sql.py         INSERT ... ON CONFLICT built once per table; the audit rows of a unit (`Trail`)
    discharges.py  record_discharge / record_feedback: the hooks' outbox writes
    schedule.py    the follow-up state machine (guarded transitions, claim, reaper)
    tasks.py       FHIR Task rows and their search
    pgwrites.py    PostgreSQL: a discharge and a worker's take, one statement each
    store.py       `Store`, one unit of work (transaction) per method, one retry on a lost connection
"""

from __future__ import annotations

import sqlalchemy as sa

from cds.config import Settings
from cds.errors import ConfigError
from cds.followups.plan import Plan, load_plan
from cds.store.engine import create_schema, database_url, make_engine
from cds.store.records import (
    CANCELLED,
    DONE,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    STATES,
    AuditEntry,
    FollowUp,
    TaskRecord,
)
from cds.store.store import Clock, Store, utcnow


def create_store(settings: Settings, *, plan: Plan | None = None, clock: Clock = utcnow) -> Store:
    """Open the configured database, create missing tables, and load the follow-up plan."""
    engine = make_engine(database_url(settings))
    try:
        create_schema(engine)
    except sa.exc.OperationalError as exc:
        # Name the key, never the URL (it may carry a password) nor the driver text.
        raise ConfigError("CDS_DATABASE_URL", f"the database cannot be reached ({type(exc.orig).__name__})") from None
    return Store(engine, plan or load_plan(settings.rules_dir), settings.followup_trigger, clock)


__all__ = [
    "CANCELLED", "DONE", "FAILED", "PENDING", "QUEUED", "RUNNING", "STATES", "AuditEntry",
    "Clock", "FollowUp", "Store", "TaskRecord", "create_store", "database_url", "utcnow",
]
