"""BMI in a window: the latest recorded BMI, or one computed from weight and height (UCUM units)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cds.fhir.dates import parse_duration, shift
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


Reading = tuple[datetime, float, dict[str, Any]]  # (when, value in canonical unit, resource)


def _values(ctx: EvalContext, valueset: str, unit: str, window: Window | None) -> list[Reading]:
    """Dated positive readings in the window, in input order; not yet checked for validity."""
    codes = ctx.kb.codes(valueset)
    out = []
    for resource in ctx.index.with_codes("Observation", codes):
        start = ctx.index.interval(resource)[0]
        value = to_canonical(resource.get("valueQuantity"), unit)
        if start is None or value is None or value <= 0:
            continue
        if window is not None and not ctx.in_window(resource, window):
            continue
        out.append((start, value, resource))
    return out


def latest_bmi(ctx: EvalContext, window: Window) -> BmiValue | None:
    """The latest usable BMI, recorded or computed; on the same day a recorded BMI beats a computed one.

    Candidates are tried from the best down and validated only when tried (validation is the
    costly step, and a long history has hundreds of weights): the first usable one is the one an
    eager `max` over the usable candidates would choose, ties going to the earliest in the input.
    """
    cfg = ctx.kb.context["bmi"]
    bmis = _values(ctx, cfg["bmi"], "kg/m2", window)
    weights = _values(ctx, cfg["weight"], "kg", window)
    # (date, recorded first) descending; a reverse sort is still stable, so equal keys keep the
    # input order (recorded BMIs before weights), as `max` would.
    order = sorted(
        [(r, True) for r in bmis] + [(r, False) for r in weights],
        key=lambda c: (c[0][0], c[1]),
        reverse=True,
    )
    heights: _NearestHeight | None = None
    back = -parse_duration(cfg["height_lookback"])
    for (date, value, resource), recorded in order:
        if not ctx.usable(resource):
            continue
        if recorded:
            code = ctx.coding_in(resource.get("code"), ctx.kb.codes(cfg["bmi"]))
            return BmiValue(value, date, reference_of(resource), code, "")
        if heights is None:
            heights = _NearestHeight(ctx, _values(ctx, cfg["height"], "m", None))
        height = heights(date, shift(date, back))
        if height is None:
            continue
        code = ctx.coding_in(resource.get("code"), ctx.kb.codes(cfg["weight"]))
        how = f" (from weight {value:.1f} kg and height {height[1] * 100:.0f} cm)"
        return BmiValue(value / (height[1] ** 2), date, reference_of(resource), code, how)
    return None


class _NearestHeight:
    """The usable height nearest in time to a weight, among heights from `lo` up to the moment.

    Same answer as `min(usable heights, key=distance)` in input order (ties go to the earliest
    in the input), but by bisection over the heights sorted by date, validating a height only
    when it is the nearest one left: pairing each weight with every height was quadratic, and
    validating every height of a long history was most of the cost.
    """

    def __init__(self, ctx: EvalContext, heights: list[Reading]) -> None:
        self._ctx = ctx
        self._order = sorted(range(len(heights)), key=lambda i: heights[i][0])  # stable
        self._dates = [heights[i][0] for i in self._order]
        self._heights = heights
        self._end = bisect_right(self._dates, ctx.as_of)

    def __call__(self, date: datetime, lo: datetime) -> Reading | None:
        first = bisect_left(self._dates, lo, 0, self._end)
        k = bisect_left(self._dates, date, first, self._end)
        left, right = k - 1, k
        while left >= first or right < self._end:
            # The nearest distance left on either side, and every height at that distance.
            d_left = abs((self._dates[left] - date).total_seconds()) if left >= first else None
            d_right = abs((self._dates[right] - date).total_seconds()) if right < self._end else None
            best = min(d for d in (d_left, d_right) if d is not None)
            tied = []
            while left >= first and abs((self._dates[left] - date).total_seconds()) == best:
                tied.append(self._order[left])
                left -= 1
            while right < self._end and abs((self._dates[right] - date).total_seconds()) == best:
                tied.append(self._order[right])
                right += 1
            for i in sorted(tied):
                if self._ctx.usable(self._heights[i][2]):
                    return self._heights[i]
        return None
