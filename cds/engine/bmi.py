"""BMI in a window: the latest recorded BMI, or one computed from weight and height (UCUM units)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
    back = -parse_duration(cfg["height_lookback"])
    nearest = _NearestHeight(heights, ctx.as_of)
    for date, weight, resource in _values(ctx, cfg["weight"], "kg", window):
        height = nearest(date, shift(date, back))
        if height is None:
            continue
        bmi = weight / (height[1] ** 2)
        code = ctx.coding_in(resource.get("code"), ctx.kb.codes(cfg["weight"]))
        how = f" (from weight {weight:.1f} kg and height {height[1] * 100:.0f} cm)"
        candidates.append(BmiValue(bmi, date, reference_of(resource), code, how))
    if not candidates:
        return None
    # The latest value wins; on the same day a recorded BMI beats a computed one.
    return max(candidates, key=lambda b: (b.date, b.how == ""))


class _NearestHeight:
    """The height nearest in time to a weight, among heights from `lo` up to the moment.

    Same answer as `min(usable, key=distance)` over the heights in input order (ties go to the
    earliest in the input), but by bisection over the heights sorted by date: a long history
    has thousands of weights and heights, and pairing each weight with every height was
    quadratic.
    """

    def __init__(self, heights: list[tuple[datetime, float, dict[str, Any]]], as_of: datetime) -> None:
        self._order = sorted(range(len(heights)), key=lambda i: heights[i][0])  # stable
        self._dates = [heights[i][0] for i in self._order]
        self._heights = heights
        self._end = bisect_right(self._dates, as_of)

    def __call__(self, date: datetime, lo: datetime) -> tuple[datetime, float, dict[str, Any]] | None:
        dates, end = self._dates, self._end
        first = bisect_left(dates, lo, 0, end)
        if first >= end:
            return None

        def distance(j: int) -> float:
            return abs((dates[j] - date).total_seconds())

        k = bisect_left(dates, date, first, end)
        best = min(distance(j) for j in (k - 1, k) if first <= j < end)
        tied = []
        j = k - 1
        while j >= first and distance(j) == best:
            tied.append(self._order[j])
            j -= 1
        j = k
        while j < end and distance(j) == best:
            tied.append(self._order[j])
            j += 1
        return self._heights[min(tied)]
