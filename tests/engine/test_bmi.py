"""R9's BMI: the latest usable value; candidates are validated only when tried, with the same answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cds.engine import evaluate
from cds.fhir import parse_input
from cds.knowledge import Knowledge

LOINC = "http://loinc.org"
AS_OF = datetime(2024, 3, 10, tzinfo=UTC)


def _obs(rid: str, code: str, value: float, unit: str, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        **extra,
    }


def _patient_with(*observations: dict[str, Any]) -> list[dict[str, Any]]:
    delivery = {
        "resourceType": "Procedure",
        "id": "d",
        "status": "completed",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "236974004"}]},
        "subject": {"reference": "Patient/p"},
        "performedDateTime": "2024-03-01T10:00:00Z",
    }
    return [{"resourceType": "Patient", "id": "p"}, delivery, *observations]


def _r9(kb: Knowledge, resources: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    ev = evaluate(kb, parse_input(bundle), as_of=AS_OF).to_json()
    return next(f for f in ev["findings"] if f["leaflet"] == ["R9"]), ev["dataQuality"]


BROKEN = {"interpretation": "not a list of CodeableConcepts"}  # invalid FHIR R4


def test_an_invalid_latest_bmi_is_skipped_noted_and_the_next_one_used(kb: Knowledge) -> None:
    finding, notes = _r9(
        kb,
        _patient_with(
            _obs("old", "39156-5", 24.0, "kg/m2", "2023-05-01"),
            _obs("new", "39156-5", 31.0, "kg/m2", "2023-07-01", **BROKEN),
        ),
    )
    assert finding["status"] == "absent" and finding["evidence"][0]["reference"] == "Observation/old"
    assert any("Observation/new" in n and "not valid FHIR R4" in n for n in notes)


def test_computed_bmi_skips_an_invalid_nearest_height(kb: Knowledge) -> None:
    finding, notes = _r9(
        kb,
        _patient_with(
            _obs("w", "29463-7", 80.0, "kg", "2023-07-01"),
            _obs("h-near", "8302-2", 150.0, "cm", "2023-06-30", **BROKEN),
            _obs("h-far", "8302-2", 170.0, "cm", "2023-01-01"),
        ),
    )
    # 80 / 1.70^2 = 27.7 (the invalid 150 cm would have given 35.6)
    assert finding["status"] == "present" and "27.7" in finding["evidence"][0]["value"]
    assert any("Observation/h-near" in n for n in notes)


def test_only_what_is_tried_is_validated(kb: Knowledge) -> None:
    """An invalid weight older than the BMI that wins is never looked at, so not reported."""
    finding, notes = _r9(
        kb,
        _patient_with(
            _obs("bmi", "39156-5", 26.0, "kg/m2", "2023-07-01"),
            _obs("old-w", "29463-7", 80.0, "kg", "2023-05-01", **BROKEN),
        ),
    )
    assert finding["status"] == "present" and finding["evidence"][0]["reference"] == "Observation/bmi"
    assert not any("old-w" in n for n in notes)
