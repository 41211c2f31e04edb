"""The facts every rule is anchored to: the delivery, the pregnancy and the phase."""

from __future__ import annotations

from datetime import datetime
from operator import itemgetter
from typing import Any

from cds.fhir.dates import parse_duration, shift

from .context import EvalContext, reference_of
from .findings import Delivery, Pregnancy

START, RESOURCE = itemgetter(0), itemgetter(2)  # of (start, end, resource, code) candidates


def _candidates(ctx: EvalContext) -> list[tuple[datetime, datetime, dict[str, Any], dict[str, str] | None]]:
    kb, index = ctx.kb, ctx.index
    codes = kb.codes(kb.context["delivery"]["codes"])
    found = []
    resources = (
        index.with_codes("Procedure", codes)
        + index.with_codes("Condition", codes)
        + index.with_codes("Observation", kb.codes(kb.context["delivery"]["observation_codes"]))
    )
    for resource in resources:  # validated later, only those that are used
        start, end = ctx.index.interval(resource)
        if start is None:
            continue
        if resource["resourceType"] == "Observation":
            code = ctx.coding_in(resource.get("valueCodeableConcept"), codes)
        else:
            code = ctx.coding_in(resource.get("code"), codes)
        found.append((start, end or start, resource, code))
    return found


def find_delivery(ctx: EvalContext, encounter_id: str | None) -> None:
    """The delivery of the given encounter, else the latest one before the moment."""
    candidates = _candidates(ctx)
    encounter = ctx.index.resolve(f"Encounter/{encounter_id}") if encounter_id else None
    chosen = None
    if encounter is not None:
        e_start, e_end = ctx.index.interval(encounter)
        in_encounter = [
            c
            for c in candidates
            if ctx.index.resolve(c[2].get("encounter") or c[2].get("context")) is encounter
            or (e_start is not None and e_start <= c[0] <= (e_end or ctx.as_of))
        ]
        chosen = ctx.latest_usable(in_encounter, START, RESOURCE)
        if chosen is None and ctx.latest_usable(candidates, START, RESOURCE) is not None:
            ctx.notes.append("no delivery recorded in the given encounter; the latest delivery is used")
    if chosen is None:
        chosen = ctx.latest_usable(candidates, START, RESOURCE)
        if chosen is None:
            return
        encounter = ctx.index.resolve(chosen[2].get("encounter") or chosen[2].get("context"))
    start, end, resource, code = chosen
    ctx.delivery_encounter = encounter
    ctx.delivery = Delivery(
        reference=reference_of(resource),
        start=start,
        end=end,
        encounter=reference_of(encounter) if encounter else None,
        code=code,
    )
    # The episode ends with the last delivery record that belongs to it (e.g. Synthea's admission).
    last = max((c[1] for c in candidates if ctx.in_delivery(c[2]) and ctx.usable(c[2])), default=end)
    ctx.delivery = Delivery(ctx.delivery.reference, start, max(end, last), ctx.delivery.encounter, code)


def _pregnancy_conditions(ctx: EvalContext) -> list[dict[str, Any]]:
    """Dated pregnancy Conditions; validated later, only the one that is used."""
    codes = ctx.kb.codes(ctx.kb.context["pregnancy"]["condition_codes"])
    return [r for r in ctx.index.with_codes("Condition", codes) if ctx.index.interval(r)[0]]


def find_pregnancy(ctx: EvalContext) -> None:
    """The pregnancy that led to the delivery, or the one under way at the moment."""
    cfg = ctx.kb.context["pregnancy"]
    max_length = parse_duration(cfg["max_length"])
    conditions = _pregnancy_conditions(ctx)
    current = [
        r
        for r in conditions
        if ctx.active_at(r, ctx.as_of)
        and ctx.index.interval(r)[0] >= shift(ctx.as_of, -max_length)  # type: ignore[operator]
        and (ctx.delivery is None or ctx.index.interval(r)[0] > ctx.delivery.end)  # type: ignore[operator]
    ]
    latest = ctx.latest_usable(current, lambda r: ctx.index.interval(r)[0], _itself)
    if latest is not None:
        onset = ctx.index.interval(latest)[0]
        assert onset is not None
        ctx.pregnancy = Pregnancy(onset, "condition", reference_of(latest), current=True)
        return
    if ctx.delivery is None:
        return
    delivered = ctx.delivery.start
    before = [
        r
        for r in conditions
        if shift(delivered, -max_length) <= ctx.index.interval(r)[0] <= delivered  # type: ignore[operator]
    ]
    latest = ctx.latest_usable(before, lambda r: ctx.index.interval(r)[0], _itself)
    if latest is not None:
        onset = ctx.index.interval(latest)[0]
        assert onset is not None
        ctx.pregnancy = Pregnancy(onset, "condition", reference_of(latest))
    else:
        ctx.pregnancy = Pregnancy(shift(delivered, -parse_duration(cfg["assumed_length"])), "assumed")


def _itself(resource: dict[str, Any]) -> dict[str, Any]:
    return resource


def phase_of(ctx: EvalContext) -> str:
    recent = parse_duration(ctx.kb.context["delivery"]["recent"])
    if ctx.pregnancy is not None and ctx.pregnancy.current:
        return "antenatal"
    if ctx.delivery is not None and ctx.delivery.start >= shift(ctx.as_of, -recent):
        return "postpartum"
    return "not-applicable"
