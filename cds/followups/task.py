"""The FHIR R4 Task a due follow-up becomes, validated with fhir.resources' R4B models.

The Task's id and identifier value are the follow-up id, itself derived from (encounter, plan
item): a retry builds the same Task, and the EHR's conditional create recognises it.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from cds.errors import PlanError
from cds.fhir.shapes import ShapeValidator
from cds.followups.plan import Plan
from cds.store.records import FollowUp

BASE = "https://bodem-cds.example.org/fhir/CodeSystem"
PLAN_ITEM_SYSTEM = f"{BASE}/followup-plan-item"
REASON_SYSTEM = f"{BASE}/followup-reason"
ROLE_SYSTEM = f"{BASE}/followup-recipient"
INPUT_SYSTEM = f"{BASE}/followup-input"
LEAFLET_SYSTEM = f"{BASE}/leaflet-statement"  # the same system the knowledge loader cites


def fhir_instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _risk_titles(evaluation: dict[str, Any]) -> tuple[list[str], str | None]:
    """Titles of the risk factors found present, and the first evidence reference usable as
    Task.reasonReference (a relative reference; urn:uuid ids mean nothing to the EHR)."""
    titles, reference = [], None
    for finding in evaluation.get("findings") or []:
        if not isinstance(finding, dict):
            continue
        if finding.get("kind") != "risk-factor" or finding.get("status") != "present":
            continue
        if isinstance(finding.get("title"), str):
            titles.append(finding["title"])
        for ev in finding.get("evidence") or []:
            ref = ev.get("reference") if isinstance(ev, dict) else None
            if reference is None and isinstance(ref, str) and "/" in ref and ":" not in ref:
                reference = ref
    return titles, reference


def build_task(
    plan: Plan, followup: FollowUp, evaluation: dict[str, Any], *, owner: str,
    identifier_system: str, lang: str, now: datetime,
) -> dict[str, Any]:
    """The Task for `followup`, status ready, owned by the configured care team."""
    item = plan.item(followup.plan_item)
    if item is None:
        raise PlanError("rules/followups/plan.yaml", "no longer in the plan",
                        item=followup.plan_item)
    reason = plan.reasons[followup.reason]
    titles, reason_ref = _risk_titles(evaluation) if followup.reason == "risk" else ([], None)
    reason_text = reason[lang] + (": " + "; ".join(titles) if titles else "")
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": followup.id,
        "language": lang,
        "identifier": [{"system": identifier_system, "value": followup.id}],
        "status": "ready",
        "intent": "order",
        "priority": "routine",
        "code": {
            "coding": [{"system": PLAN_ITEM_SYSTEM, "code": item.id, "display": item.title["en"]}],
            "text": item.title[lang],
        },
        "description": item.instruction[lang],
        "focus": {"reference": f"Encounter/{followup.encounter_id}"},
        "for": {"reference": f"Patient/{followup.patient_id}"},
        "executionPeriod": {
            "start": fhir_instant(followup.due_at), "end": fhir_instant(followup.overdue_at),
        },
        "authoredOn": fhir_instant(now),
        "lastModified": fhir_instant(now),
        "requester": {"display": "bodem-cds (Houd een oogje op de bodem!)"},
        "performerType": [{
            "coding": [{"system": ROLE_SYSTEM, "code": item.recipient["role"]}],
            "text": item.recipient[lang],
        }],
        "owner": {"reference": owner},
        "reasonCode": {
            "coding": [{"system": REASON_SYSTEM, "code": followup.reason,
                        "display": reason["en"]}],
            "text": reason_text,
        },
        "input": [
            {
                "type": {"coding": [{"system": INPUT_SYSTEM, "code": "leaflet-statement"}]},
                "valueCoding": {"system": LEAFLET_SYSTEM, "code": sid},
            }
            for sid in item.leaflet
        ],
    }
    if reason_ref:
        task["reasonReference"] = {"reference": reason_ref}
    validate_task(task, once_per_shape=True)
    return task


# What differs between two Tasks of the same plan item (cds.fhir.shapes checks each value's type).
_VARYING = (
    ("id", "id"), ("identifier.value", "string"), ("focus.reference", "string"), ("for.reference", "string"),
    ("executionPeriod.start", "instant"), ("executionPeriod.end", "instant"), ("authoredOn", "instant"),
    ("lastModified", "instant"), ("reasonCode.text", "string"), ("reasonReference.reference", "string"),
)


@lru_cache(maxsize=1)
def _task_shapes() -> ShapeValidator:
    from fhir.resources.R4B.task import Task  # the package default is R5; R4B is R4-compatible

    return ShapeValidator(Task, _VARYING)


def validate_task(task: dict[str, Any], *, once_per_shape: bool = False) -> None:
    """Raise ValueError (naming the element, not the data) unless `task` is a valid R4 Task.

    `once_per_shape`: skip the model when a Task of the same shape was valid (cds.fhir.shapes).
    """
    from fhir.resources.R4B.task import Task

    try:
        if once_per_shape:
            _task_shapes().validate(task)
        else:
            Task.model_validate(task)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValueError(f"invalid Task at {where or 'Task'}: {first.get('type')}") from None
