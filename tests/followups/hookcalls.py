"""A CDS Hooks encounter-discharge request built from a Synthea bundle, as an EHR would send it
(every prefetch key filled), for tests that go through the real hook and engine."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

SYNTHEA = Path(__file__).resolve().parents[1] / "fixtures" / "synthea"
# Delivery admissions (also used by tests/engine): risky (R6, R9) and not risky.
RISKY = ("1071287-bundle.json", "c82c2a8f-3add-efd3-bd0e-05f7c751d417")
NOT_RISKY = ("842479-bundle.json", "6cd04c2f-be54-5b06-ff41-e897085612ba")

_SEARCH_KEYS = {
    "conditions": "Condition", "encounters": "Encounter",
    "familyMemberHistories": "FamilyMemberHistory", "observations": "Observation",
    "procedures": "Procedure", "questionnaireResponses": "QuestionnaireResponse",
}


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r} for r in resources]}


def discharge_request(case: tuple[str, str]) -> tuple[dict[str, Any], str, str]:
    """(request body, patient id, encounter id) for the bundle's delivery encounter."""
    name, encounter_id = case
    bundle = json.loads((SYNTHEA / name).read_text())
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    encounter = next(r for r in resources if r["resourceType"] == "Encounter"
                     and r["id"] == encounter_id)
    prefetch: dict[str, Any] = {"patient": patient, "encounter": encounter}
    for key, rtype in _SEARCH_KEYS.items():
        prefetch[key] = _searchset([r for r in resources if r["resourceType"] == rtype])
    body = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/pr-1", "patientId": patient["id"],
                    "encounterId": encounter_id},
        "prefetch": prefetch,
    }
    return body, patient["id"], encounter_id
