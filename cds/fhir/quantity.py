"""UCUM quantities the rules compare: body weight, body height and BMI.

Only exact UCUM codes are converted (kg, g, [lb_av]; cm, m, [in_i]; kg/m2). A unit we cannot
convert makes the value unusable (and so "unknown"), never a guess.
"""

from __future__ import annotations

from typing import Any

# factor to the canonical unit of each dimension (kg, m, kg/m2)
_FACTORS: dict[str, dict[str, float]] = {
    "kg": {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237},
    "m": {"m": 1.0, "cm": 0.01, "mm": 0.001, "[in_i]": 0.0254},
    "kg/m2": {"kg/m2": 1.0},
}


def to_canonical(quantity: Any, canonical: str) -> float | None:
    """The value of a FHIR Quantity in `canonical` units, or None when it is not convertible."""
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    system = quantity.get("system")
    unit = quantity.get("code") if isinstance(quantity.get("code"), str) else quantity.get("unit")
    if system not in (None, "http://unitsofmeasure.org") or not isinstance(unit, str):
        return None
    factor = _FACTORS[canonical].get(unit)
    return None if factor is None else float(value) * factor
