"""Match one rule criterion against the indexed resources, giving evidence for present or absent.

Coded criteria give one evidence item per matching resource. Comparisons (an Observation value,
a BMI, a questionnaire answer) take the latest value in the window and give present or absent.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from cds.fhir.quantity import to_canonical
from cds.knowledge.model import Criterion

from .bmi import latest_bmi
from .context import EvalContext, reference_of
from .findings import ABSENT, PRESENT, Evidence

WHEN, RESOURCE = operator.itemgetter(0), operator.itemgetter(2)  # of (date, value, resource) candidates
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _timed(ctx: EvalContext, resource: dict[str, Any], c: Criterion) -> bool:
    if c.window is not None:
        return ctx.in_window(resource, c.window)
    if c.active_at is not None:
        moment = ctx.moment(c.active_at)
        return moment is not None and ctx.active_at(resource, moment)
    return True


def _category_ok(ctx: EvalContext, resource: dict[str, Any], c: Criterion) -> bool:
    if c.category is None:
        return True
    codes = ctx.kb.codes(c.category)
    categories = resource.get("category")
    if isinstance(categories, dict):
        categories = [categories]
    return any(ctx.coding_in(cat, codes) for cat in categories or [])


def _coded(ctx: EvalContext, c: Criterion) -> Iterator[Evidence]:
    codes = ctx.kb.codes(c.code)
    for resource in ctx.index.with_codes(c.resource, codes):
        if not (ctx.usable(resource, c.status) and _category_ok(ctx, resource, c) and _timed(ctx, resource, c)):
            continue
        code = ctx.coding_in(resource.get("code"), codes)
        value = None
        if c.value_code is not None:
            value_coding = ctx.coding_in(resource.get("valueCodeableConcept"), ctx.kb.codes(c.value_code))
            if value_coding is None:
                continue
            code, value = value_coding, None
        yield Evidence(reference_of(resource), c.resource, c.yields, code, ctx.index.interval(resource)[0], value)


def _observation_value(ctx: EvalContext, c: Criterion) -> Iterator[Evidence]:
    assert c.value_quantity is not None
    codes = ctx.kb.codes(c.code)
    unit = c.value_quantity.get("unit", "kg/m2")
    candidates = []
    for resource in ctx.index.with_codes("Observation", codes):
        start = ctx.index.interval(resource)[0]
        value = to_canonical(resource.get("valueQuantity"), unit)
        if start is not None and value is not None and _timed(ctx, resource, c):
            candidates.append((start, value, resource))
    best = ctx.latest_usable(candidates, WHEN, RESOURCE, c.status)
    if best is not None:
        start, value, resource = best
        holds = OPS[c.value_quantity["op"]](value, c.value_quantity["value"])
        code = ctx.coding_in(resource.get("code"), codes)
        yield Evidence(
            reference_of(resource), "Observation", PRESENT if holds else ABSENT, code, start, f"{value:.1f} {unit}"
        )


def _family(ctx: EvalContext, c: Criterion) -> Iterator[Evidence]:
    codes, relations = ctx.kb.codes(c.code), ctx.kb.codes(c.relationship)
    for resource in ctx.index.of_type("FamilyMemberHistory"):
        relation = ctx.coding_in(resource.get("relationship"), relations)
        if relation is None:
            continue
        for condition in resource.get("condition") or []:
            code = ctx.coding_in(condition.get("code") if isinstance(condition, dict) else None, codes)
            if code is not None and ctx.usable(resource, c.status):
                yield Evidence(
                    reference_of(resource),
                    "FamilyMemberHistory",
                    c.yields,
                    code,
                    ctx.index.interval(resource)[0],
                    relation.get("display") or relation["code"],
                )
                break


def _answers(items: Any, link_id: str) -> Iterator[Any]:
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("linkId") == link_id:
            for answer in item.get("answer") or []:
                if isinstance(answer, dict) and isinstance(answer.get("valueBoolean"), bool):
                    yield answer["valueBoolean"]
        yield from _answers(item.get("item"), link_id)
        for answer in item.get("answer") or []:
            if isinstance(answer, dict):
                yield from _answers(answer.get("item"), link_id)


def _questionnaire(ctx: EvalContext, c: Criterion) -> Iterator[Evidence]:
    url = ctx.kb.context["questionnaire"]["url"]
    candidates = []
    for resource in ctx.index.of_type("QuestionnaireResponse"):
        canonical = resource.get("questionnaire")
        if not isinstance(canonical, str) or canonical.split("|")[0] != url:
            continue
        start = ctx.index.interval(resource)[0]
        values = list(_answers(resource.get("item"), c.link_id or ""))
        if start is not None and values and _timed(ctx, resource, c):
            candidates.append((start, values[0], resource))
    best = ctx.latest_usable(candidates, WHEN, RESOURCE, c.status)
    if best is not None:
        start, value, resource = best
        code = {"system": url, "code": c.link_id or ""}
        yield Evidence(
            reference_of(resource),
            "QuestionnaireResponse",
            PRESENT if value else ABSENT,
            code,
            start,
            "yes" if value else "no",
        )


def _bmi(ctx: EvalContext, c: Criterion) -> Iterator[Evidence]:
    assert c.threshold is not None and c.window is not None
    found = latest_bmi(ctx, c.window)
    if found is not None:
        holds = OPS[c.threshold["op"]](found.value, c.threshold["value"])
        yield Evidence(
            found.reference,
            "Observation",
            PRESENT if holds else ABSENT,
            found.code,
            found.date,
            f"BMI {found.value:.1f} kg/m2{found.how}",
        )


def match(ctx: EvalContext, c: Criterion) -> list[Evidence]:
    if c.resource == "BMI":
        return list(_bmi(ctx, c))
    if c.resource == "QuestionnaireResponse":
        return list(_questionnaire(ctx, c))
    if c.resource == "FamilyMemberHistory":
        return list(_family(ctx, c))
    if c.resource == "Observation" and c.value_quantity is not None:
        return list(_observation_value(ctx, c))
    return list(_coded(ctx, c))
