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
from cds.store.records import CANCELLED, PENDING, QUEUED
from cds.store.schema import cards, evaluations, feedback, followups
from cds.store.sql import insert_ignore, write_audit


def record_discharge(
    conn: Connection, plan: Plan, trigger: str, now: datetime, *, hook_instance: str,
    service_id: str, patient_id: str, encounter_id: str, discharge_at: datetime,
    evaluation: EvaluationLike, card_uuids: list[str], knowledge_version: str,
) -> int | None:
    """Store the evaluation (once per hookInstance) and plan follow-ups if the trigger says so.

    Returns the evaluation id, or None when this hookInstance was already recorded.
    """
    evaluation_id: int | None = insert_ignore(conn, evaluations, {
        "hook_instance": hook_instance, "service_id": service_id, "patient_id": patient_id,
        "encounter_id": encounter_id, "discharge_at": discharge_at, "phase": evaluation.phase,
        "at_risk": bool(evaluation.at_risk), "knowledge_version": knowledge_version,
        "evaluation": evaluation.to_json(), "card_uuids": list(card_uuids), "created_at": now,
    }, ["hook_instance"], returning=evaluations.c.id)
    if evaluation_id is None:
        return None
    for card_uuid in card_uuids:
        insert_ignore(conn, cards, {"card_uuid": card_uuid, "evaluation_id": evaluation_id},
                      ["card_uuid"])
    reason = reason_at_discharge(trigger, evaluation)
    write_audit(conn, now, f"ehr:{service_id}", "evaluated", evaluation_id=evaluation_id,
                detail={"hookInstance": hook_instance, "atRisk": bool(evaluation.at_risk),
                        "phase": evaluation.phase, "trigger": trigger, "plans": reason})
    if reason:
        plan_followups(conn, plan, now, evaluation_id, patient_id, encounter_id, discharge_at,
                       reason, actor=f"ehr:{service_id}")
    return evaluation_id


def plan_followups(
    conn: Connection, plan: Plan, now: datetime, evaluation_id: int, patient_id: str,
    encounter_id: str, discharge_at: datetime, reason: str, *, actor: str,
) -> list[str]:
    """One row per plan item; an item already planned for this encounter is left as it is."""
    planned = []
    for item in plan.items:
        due = item.due_at(discharge_at)
        fid = followup_id(encounter_id, item.id)
        new = insert_ignore(conn, followups, {
            "id": fid, "evaluation_id": evaluation_id, "encounter_id": encounter_id,
            "patient_id": patient_id, "plan_item": item.id, "plan_version": plan.version,
            "reason": reason, "discharge_at": discharge_at, "due_at": due,
            "overdue_at": item.overdue_at(due), "run_after": due, "state": PENDING,
            "attempts": 0, "created_at": now, "updated_at": now,
        }, ["encounter_id", "plan_item"], returning=followups.c.id)
        if new is not None:
            planned.append(fid)
            write_audit(conn, now, actor, "planned", evaluation_id=evaluation_id,
                        followup_id=fid,
                        detail={"item": item.id, "due": due.isoformat(), "reason": reason})
    return planned


def record_feedback(
    conn: Connection, plan: Plan, trigger: str, now: datetime, *, service_id: str,
    card_uuid: str, outcome: str, accepted_suggestions: list[str],
    override_reason: dict[str, Any] | None, outcome_timestamp: datetime,
) -> None:
    """Keep the feedback once; plan (trigger `accepted`) or cancel follow-ups as it says."""
    actor = f"ehr:{service_id}"
    new = insert_ignore(conn, feedback, {
        "service_id": service_id, "card_uuid": card_uuid, "outcome": outcome,
        "accepted_suggestions": list(accepted_suggestions), "override_reason": override_reason,
        "outcome_timestamp": outcome_timestamp, "created_at": now,
    }, ["service_id", "card_uuid", "outcome", "outcome_timestamp"], returning=feedback.c.id)
    if new is None:
        return
    ev = conn.execute(
        sa.select(evaluations).join(cards, cards.c.evaluation_id == evaluations.c.id)
        .where(cards.c.card_uuid == card_uuid)
    ).first()
    write_audit(conn, now, actor, "feedback", evaluation_id=ev.id if ev else None,
                detail={"card": card_uuid, "outcome": outcome,
                        "override": override_code(override_reason),
                        "accepted": len(accepted_suggestions)})
    if ev is None:
        return
    if (outcome == "accepted" and trigger == "accepted" and ev.phase == "postpartum"
            and accepts_followups(card_uuid, accepted_suggestions)):
        plan_followups(conn, plan, now, ev.id, ev.patient_id, ev.encounter_id, ev.discharge_at,
                       "accepted", actor=actor)
    elif outcome == "overridden" and cancels(plan, override_reason):
        cancel_open(conn, now, ev.encounter_id, f"override: {override_code(override_reason)}",
                    actor=actor)


def cancel_open(conn: Connection, now: datetime, encounter_id: str, why: str, *,
                actor: str) -> list[str]:
    """Cancel this encounter's follow-ups that have not started; running ones finish."""
    ids = list(conn.execute(
        followups.update()
        .where(followups.c.encounter_id == encounter_id,
               followups.c.state.in_((PENDING, QUEUED)))
        .values(state=CANCELLED, last_error=why, finished_at=now, updated_at=now)
        .returning(followups.c.id)
    ).scalars())
    for fid in ids:
        write_audit(conn, now, actor, "cancelled", followup_id=fid, detail={"why": why})
    return ids
