"""BMI in a window: the latest recorded BMI, or one computed from weight and height (UCUM units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cds.fhir.dates import clinical_interval, parse_duration, shift
from cds.fhir.quantity import to_canonical
from cds.knowledge.model import Window

from .context import EvalContext, reference_of


@dataclass(frozen=True)
class BmiValue:
    value: float
    date: datetime
    reference: str
    code: dict[str, str] | None
    how: str  # "" when recorded, else how it was computed


def _values(
    ctx: EvalContext, valueset: str, unit: str, window: Window | None
) -> list[tuple[datetime, float, dict[str, Any]]]:
    codes = ctx.kb.codes(valueset)
    out = []
    for resource in ctx.index.with_codes("Observation", codes):
        start = clinical_interval(resource)[0]
        value = to_canonical(resource.get("valueQuantity"), unit)
        if start is None or value is None or value <= 0:
            continue
        if window is not None and not ctx.in_window(resource, window):
            continue
        if ctx.usable(resource):
            out.append((start, value, resource))
    return out


def latest_bmi(ctx: EvalContext, window: Window) -> BmiValue | None:
    cfg = ctx.kb.context["bmi"]
    candidates: list[BmiValue] = []
    for date, value, resource in _values(ctx, cfg["bmi"], "kg/m2", window):
        code = ctx.coding_in(resource.get("code"), ctx.kb.codes(cfg["bmi"]))
        candidates.append(BmiValue(value, date, reference_of(resource), code, ""))
    heights = _values(ctx, cfg["height"], "m", None)
    lookback = parse_duration(cfg["height_lookback"])
    for date, weight, resource in _values(ctx, cfg["weight"], "kg", window):
        usable = [h for h in heights if shift(date, -lookback) <= h[0] <= ctx.as_of]
        if not usable:
            continue
        height = min(usable, key=lambda h: abs((h[0] - date).total_seconds()))
        bmi = weight / (height[1] ** 2)
        code = ctx.coding_in(resource.get("code"), ctx.kb.codes(cfg["weight"]))
        how = f" (from weight {weight:.1f} kg and height {height[1] * 100:.0f} cm)"
        candidates.append(BmiValue(bmi, date, reference_of(resource), code, how))
    if not candidates:
        return None
    # The latest value wins; on the same day a recorded BMI beats a computed one.
    return max(candidates, key=lambda b: (b.date, b.how == ""))
