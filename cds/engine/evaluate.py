"""Evaluate every rule against one patient's data as of one moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cds.errors import InputError
from cds.fhir.index import ResourceIndex
from cds.fhir.parse import ParsedInput
from cds.knowledge.model import Knowledge, Rule

from .context import EvalContext
from .criteria import match
from .facts import find_delivery, find_pregnancy, phase_of
from .findings import ABSENT, PRESENT, UNKNOWN, Evaluation, Finding

MAX_EVIDENCE_IN_REASON = 3


def _patient(index: ResourceIndex, patient_id: str | None, notes: list[str]) -> str | None:
    patients = index.of_type("Patient")
    if patient_id is not None:
        return patient_id
    if len(patients) > 1:
        notes.append(f"{len(patients)} Patient resources in the input; the first is used")
    pid = patients[0].get("id") if patients else None
    return pid if isinstance(pid, str) else None


def evaluate_rule(ctx: EvalContext, rule: Rule, lang: str) -> Finding:
    evidence = [e for c in rule.criteria for e in match(ctx, c)]
    present = [e for e in evidence if e.yields == PRESENT]
    absent = [e for e in evidence if e.yields == ABSENT]
    status = PRESENT if present else ABSENT if absent else UNKNOWN
    used = present or absent
    used.sort(key=lambda e: (e.date is None, -(e.date.timestamp() if e.date else 0)))
    reason = rule.reasons[status][lang]
    if used:
        reason += ": " + "; ".join(e.summary() for e in used[:MAX_EVIDENCE_IN_REASON])
    return Finding(rule.id, rule.version, rule.kind, rule.leaflet, status, tuple(used), reason, rule.title[lang])


def evaluate(
    kb: Knowledge,
    resources: ParsedInput | list[dict[str, Any]],
    *,
    as_of: datetime,
    encounter_id: str | None = None,
    patient_id: str | None = None,
    lang: str = "nl",
) -> Evaluation:
    """Findings for every rule that applies in the patient's phase, as of `as_of`."""
    if as_of.tzinfo is None:
        raise InputError("the evaluation moment needs a time zone")
    if lang not in ("nl", "en"):
        raise InputError("language must be nl or en")
    parsed = resources if isinstance(resources, ParsedInput) else ParsedInput(resources=list(resources))
    index = ResourceIndex(parsed, as_of, patient_id)
    ctx = EvalContext(kb, index)
    ctx.notes.extend(parsed.notes)
    if index.other_patient:
        ctx.notes.append(f"{index.other_patient} resources about another patient were ignored")
    if index.later:
        ctx.notes.append(f"{index.later} resources recorded after the evaluation moment were ignored")
    evaluation = Evaluation(
        patient_id=_patient(index, patient_id, ctx.notes),
        as_of=as_of,
        phase="not-applicable",
        lang=lang,
        knowledge_version=kb.version,
        encounter_id=encounter_id,
    )
    find_delivery(ctx, encounter_id)
    find_pregnancy(ctx)
    evaluation.phase = phase_of(ctx)
    evaluation.delivery, evaluation.pregnancy = ctx.delivery, ctx.pregnancy
    if evaluation.phase == "not-applicable":
        ctx.notes.append(
            "no delivery in the 12 months before the evaluation moment and not pregnant: "
            "the postpartum rules do not apply"
        )
    else:
        evaluation.findings = [evaluate_rule(ctx, rule, lang) for rule in kb.rules if evaluation.phase in rule.phases]
    evaluation.notes = ctx.notes
    return evaluation
