"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

    evaluations  one per discharge hook call (unique hookInstance), with its card uuids
    cards        card uuid -> evaluation, so feedback finds its discharge
    feedback     CDS Hooks feedback, unique per (service, card, outcome, moment): idempotent
    followups    the durable schedule, unique per (encounter, plan item); the outbox
    tasks        the FHIR Task each follow-up became, with a version for If-Match
    audit        what was planned, sent, changed, and by whom
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them naive, so the zone is restored here."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hook_instance", sa.String(128), nullable=False, unique=True),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("patient_id", sa.String(128), nullable=False),
    sa.Column("encounter_id", sa.String(128), nullable=False),
    sa.Column("discharge_at", UTCDateTime(), nullable=False),
    sa.Column("phase", sa.String(20), nullable=False),
    sa.Column("at_risk", sa.Boolean, nullable=False),
    sa.Column("knowledge_version", sa.String(64), nullable=False),
    sa.Column("evaluation", JSONType, nullable=False),
    sa.Column("card_uuids", JSONType, nullable=False),
    _created(),
)

cards = sa.Table(
    "cards", metadata,
    sa.Column("card_uuid", sa.String(64), primary_key=True),
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), nullable=False),
)

feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("card_uuid", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("accepted_suggestions", JSONType, nullable=False),
    sa.Column("override_reason", JSONType, nullable=True),
    sa.Column("outcome_timestamp", UTCDateTime(), nullable=False),
    _created(),
    sa.UniqueConstraint("service_id", "card_uuid", "outcome", "outcome_timestamp",
                        name="uq_feedback_once"),
)

followups = sa.Table(
    "followups", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), nullable=False),
    sa.Column("encounter_id", sa.String(128), nullable=False),
    sa.Column("patient_id", sa.String(128), nullable=False),
    sa.Column("plan_item", sa.String(64), nullable=False),
    sa.Column("plan_version", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("discharge_at", UTCDateTime(), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("overdue_at", UTCDateTime(), nullable=False),
    # When a claim may take it: due_at at first, later the retry moment after a failure.
    sa.Column("run_after", UTCDateTime(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("started_at", UTCDateTime(), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("encounter_id", "plan_item", name="uq_followup_per_encounter_item"),
    sa.Index("ix_followups_state_run_after", "state", "run_after"),
)

tasks = sa.Table(
    "tasks", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("followup_id", sa.String(36), sa.ForeignKey("followups.id"), nullable=False,
              unique=True),
    sa.Column("identifier_system", sa.String(256), nullable=False),
    sa.Column("identifier_value", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("patient_id", sa.String(128), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("overdue_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("resource", JSONType, nullable=False),
    sa.Column("remote_ref", sa.String(256), nullable=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index("ix_tasks_owner_status_due", "owner", "status", "due_at"),
    sa.Index("ix_tasks_patient", "patient_id"),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("evaluation_id", sa.Integer, nullable=True),
    sa.Column("followup_id", sa.String(36), nullable=True),
    sa.Column("task_id", sa.String(36), nullable=True),
    sa.Column("detail", JSONType, nullable=False),
    sa.Index("ix_audit_followup", "followup_id"),
)
