"""Discharges and feedback: the hook's writes, each in one transaction (the outbox).

The evaluation record and the follow-up rows commit together or not at all; no message broker
is touched on the hook's path, so a Redis outage cannot fail or slow a discharge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cds.followups.ids import followup_id
from cds.followups.plan import Plan
from cds.followups.trigger import (
    EvaluationLike,
    accepts_followups,
    cancels,
    override_code,
    reason_at_discharge,
)
from cds.store import pgwrites
from cds.store.records import CANCELLED, PENDING, QUEUED
from cds.store.schema import cards, evaluations, feedback, followups
from cds.store.sql import Trail, insert_ignore


def record_discharge(
    conn: Connection, plan: Plan, trigger: str, now: datetime, *, hook_instance: str,
    service_id: str, patient_id: str, encounter_id: str, discharge_at: datetime,
    evaluation: EvaluationLike, card_uuids: list[str], knowledge_version: str,
) -> int | None:
    """Store the evaluation (once per hookInstance) and plan follow-ups if the trigger says so.

    PostgreSQL does it in one statement (`pgwrites`); elsewhere four at most, whatever the
    plan's length: the evaluation, its cards, the follow-ups and the audit rows.
    Returns the evaluation id, or None when this hookInstance was already recorded.
    """
    reason = reason_at_discharge(trigger, evaluation)
    row = {
        "hook_instance": hook_instance, "service_id": service_id, "patient_id": patient_id,
        "encounter_id": encounter_id, "discharge_at": discharge_at, "phase": evaluation.phase,
        "at_risk": bool(evaluation.at_risk), "knowledge_version": knowledge_version,
        "evaluation": evaluation.to_json(), "card_uuids": list(card_uuids), "created_at": now,
    }
    evaluated = {"hookInstance": hook_instance, "atRisk": bool(evaluation.at_risk),
                 "phase": evaluation.phase, "trigger": trigger, "plans": reason}
    planned = followup_rows(plan, now, patient_id, encounter_id, discharge_at, reason) if reason else []
    trail = Trail(now, f"ehr:{service_id}")
    if conn.dialect.name == "postgresql":
        return pgwrites.record_discharge(conn, trail, row, evaluated, planned,
                                         [planned_detail(fu) for fu in planned])
    evaluation_id: int | None = insert_ignore(conn, evaluations, ["hook_instance"], row,
                                              evaluations.c.id).scalar_one_or_none()
    if evaluation_id is None:
        return None
    if card_uuids:
        insert_ignore(conn, cards, ["card_uuid"], [
            {"card_uuid": card_uuid, "evaluation_id": evaluation_id} for card_uuid in card_uuids
        ])
    trail.add("evaluated", evaluation_id=evaluation_id, detail=evaluated)
    insert_followups(conn, trail, evaluation_id, planned)
    trail.write(conn)
    return evaluation_id


def followup_rows(plan: Plan, now: datetime, patient_id: str, encounter_id: str,
                  discharge_at: datetime, reason: str) -> list[dict[str, Any]]:
    """The follow-up rows of one discharge, one per plan item (without the evaluation id)."""
    rows: list[dict[str, Any]] = []
    for item in plan.items:
        due = item.due_at(discharge_at)
        rows.append({
            "id": followup_id(encounter_id, item.id), "encounter_id": encounter_id,
            "patient_id": patient_id, "plan_item": item.id, "plan_version": plan.version,
            "reason": reason, "discharge_at": discharge_at, "due_at": due,
            "overdue_at": item.overdue_at(due), "run_after": due, "state": PENDING,
            "attempts": 0, "created_at": now, "updated_at": now,
        })
    return rows


def planned_detail(row: dict[str, Any]) -> dict[str, Any]:
    """The detail of a follow-up's `planned` audit entry."""
    return {"item": row["plan_item"], "due": row["due_at"].isoformat(), "reason": row["reason"]}


def insert_followups(conn: Connection, trail: Trail, evaluation_id: int,
                     rows: list[dict[str, Any]]) -> list[str]:
    """One multi-row INSERT; an item already planned for this encounter is left as it is.
    Returns the ids planned now, in plan order (as the audit trail lists them)."""
    if not rows:
        return []
    rows = [{**row, "evaluation_id": evaluation_id} for row in rows]
    new = set(insert_ignore(conn, followups, ["encounter_id", "plan_item"], rows).scalars())
    planned = [row for row in rows if row["id"] in new]
    for row in planned:
        trail.add("planned", evaluation_id=evaluation_id, followup_id=row["id"],
                  detail=planned_detail(row))
    return [row["id"] for row in planned]


def record_feedback(
    conn: Connection, plan: Plan, trigger: str, now: datetime, *, service_id: str,
    card_uuid: str, outcome: str, accepted_suggestions: list[str],
    override_reason: dict[str, Any] | None, outcome_timestamp: datetime,
) -> None:
    """Keep the feedback once; plan (trigger `accepted`) or cancel follow-ups as it says."""
    new = insert_ignore(conn, feedback, ["service_id", "card_uuid", "outcome", "outcome_timestamp"], {
        "service_id": service_id, "card_uuid": card_uuid, "outcome": outcome,
        "accepted_suggestions": list(accepted_suggestions), "override_reason": override_reason,
        "outcome_timestamp": outcome_timestamp, "created_at": now,
    }, feedback.c.id).first()
    if new is None:
        return
    ev = conn.execute(
        sa.select(evaluations).join(cards, cards.c.evaluation_id == evaluations.c.id)
        .where(cards.c.card_uuid == card_uuid)
    ).first()
    trail = Trail(now, f"ehr:{service_id}")
    trail.add("feedback", evaluation_id=ev.id if ev else None,
              detail={"card": card_uuid, "outcome": outcome,
                      "override": override_code(override_reason),
                      "accepted": len(accepted_suggestions)})
    if ev is not None and (outcome == "accepted" and trigger == "accepted"
                           and ev.phase == "postpartum"
                           and accepts_followups(card_uuid, accepted_suggestions)):
        insert_followups(conn, trail, ev.id, followup_rows(
            plan, trail.at, ev.patient_id, ev.encounter_id, ev.discharge_at, "accepted"))
    elif ev is not None and outcome == "overridden" and cancels(plan, override_reason):
        cancel_open(conn, trail, ev.encounter_id, f"override: {override_code(override_reason)}")
    trail.write(conn)


def cancel_open(conn: Connection, trail: Trail, encounter_id: str, why: str) -> list[str]:
    """Cancel this encounter's follow-ups that have not started; running ones finish."""
    ids = list(conn.execute(
        followups.update()
        .where(followups.c.encounter_id == encounter_id,
               followups.c.state.in_((PENDING, QUEUED)))
        .values(state=CANCELLED, last_error=why, finished_at=trail.at, updated_at=trail.at)
        .returning(followups.c.id)
    ).scalars())
    for fid in ids:
        trail.add("cancelled", followup_id=fid, detail={"why": why})
    return ids
