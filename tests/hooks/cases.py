"""Patients to call the hooks with: the Synthea bundles and the hand-made rule cases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from cds.fhir.dates import parse_datetime

REPO = Path(__file__).resolve().parents[2]
SYNTHEA_DIR = REPO / "tests" / "fixtures" / "synthea"
RULES_DIR = REPO / "rules"
# Delivery admissions read off the bundles by hand; the others are discharged from their last encounter.
DELIVERY: dict[str, str] = json.loads((SYNTHEA_DIR / "deliveries.json").read_text())["deliveries"]


@dataclass(frozen=True)
class Case:
    name: str
    bundle: dict[str, Any]
    patient_id: str
    encounter_id: str
    now: datetime  # the clock of the call: shortly after the discharge

    def context(self, hook: str) -> dict[str, str]:
        ctx = {"userId": "Practitioner/pr-1", "patientId": self.patient_id}
        if hook == "encounter-discharge":
            ctx["encounterId"] = self.encounter_id
        return ctx


def _resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", [])
            if e.get("resource", {}).get("resourceType") == rtype]


def _end(encounter: dict[str, Any]) -> datetime | None:
    period = encounter.get("period") or {}
    return parse_datetime(period.get("end") or period.get("start") or "")


def synthea_cases() -> list[Case]:
    cases = []
    for path in sorted(SYNTHEA_DIR.glob("*-bundle.json")):
        bundle = json.loads(path.read_text())
        patient = _resources(bundle, "Patient")[0]["id"]
        encounters = {e["id"]: e for e in _resources(bundle, "Encounter")}
        enc_id = DELIVERY.get(path.name) or max(
            encounters, key=lambda i: _end(encounters[i]) or datetime.min.astimezone())
        end = _end(encounters[enc_id])
        assert end is not None
        cases.append(Case(path.name, bundle, patient, enc_id, end + timedelta(hours=2)))
    return cases


def rule_cases() -> list[Case]:
    cases = []
    for suite_path in sorted(RULES_DIR.glob("findings/*/suite.yaml")):
        suite = yaml.safe_load(suite_path.read_text())
        for item in suite.get("cases", []):
            bundle = json.loads((suite_path.parent / "cases" / item["file"]).read_text())
            patients = _resources(bundle, "Patient")
            if not patients or not item.get("encounter"):
                continue
            as_of = parse_datetime(str(item["as_of"]))
            assert as_of is not None
            cases.append(Case(f"{suite['rule']}/{item['file']}", bundle, patients[0]["id"],
                              item["encounter"], as_of))
    return cases
