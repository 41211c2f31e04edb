"""Benchmark inputs: CDS Hooks requests built from Synthea bundles and from synthetic patients.

The prefetch of each request is what an EHR's FHIR server would answer to the service's own
prefetch templates (discovery): `apply_template` runs one template against a bundle's resources
(resource type, patient, `code=system|code,...`, `_sort`), so the benchmark follows the rules
when they start reading more.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from cds.hooks.discovery import DISCHARGE, Service
from cds.hooks.prefetch import render

REPO = Path(__file__).resolve().parent.parent
SYNTHEA = REPO / "tests" / "fixtures" / "synthea"
# The delivery admission of each Synthea history; the others are discharged from their last encounter.
DELIVERY_ENCOUNTERS: dict[str, str] = orjson.loads((SYNTHEA / "deliveries.json").read_bytes())["deliveries"]
SYNTHETIC_SIZES = (100, 1_000, 10_000)
USER = "Practitioner/bench-1"
# The hookInstance of a request body is this placeholder (36 characters, like a uuid), so a
# load generator can give each request its own by a byte replace of the same length.
HOOK_INSTANCE = "00000000-0000-4000-8000-00000000b3c4"


@dataclass
class HookCase:
    """One encounter-discharge request: the source bundle and the request body."""

    name: str
    bundle: dict[str, Any]  # the patient's whole record (for the FHIR fallback server)
    patient_id: str
    encounter_id: str
    request: dict[str, Any]  # the CDS Hooks request, prefetch filled
    body: bytes
    resources: int  # resources in the prefetch

    def body_without_prefetch(self, fhir_server: str) -> bytes:
        doc = {k: v for k, v in self.request.items() if k != "prefetch"}
        doc["fhirServer"] = fhir_server
        doc["fhirAuthorization"] = {"access_token": "bench-token", "token_type": "Bearer",
                                    "expires_in": 300, "scope": "patient/*.read",
                                    "subject": "bench-cds"}
        return orjson.dumps(doc)


# --- the prefetch template applier -------------------------------------------------------------


def _refers_to_patient(resource: dict[str, Any], patient_id: str) -> bool:
    for element in ("subject", "patient"):
        ref = resource.get(element)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            target: str = ref["reference"]
            return target in (f"Patient/{patient_id}", f"urn:uuid:{patient_id}") or target.endswith(
                f"/Patient/{patient_id}")
    return False


def _codes_match(resource: dict[str, Any], tokens: set[tuple[str, str]]) -> bool:
    concept = resource.get("code")
    codings = concept.get("coding", []) if isinstance(concept, dict) else []
    return any((c.get("system"), c.get("code")) in tokens for c in codings if isinstance(c, dict))


def _date(resource: dict[str, Any]) -> str:
    for key in ("effectiveDateTime", "performedDateTime", "issued", "recordedDate"):
        if isinstance(resource.get(key), str):
            return str(resource[key])
    for key in ("effectivePeriod", "performedPeriod", "period"):
        period = resource.get(key)
        if isinstance(period, dict) and isinstance(period.get("start"), str):
            return str(period["start"])
    return ""


def apply_template(query: str, entries: list[dict[str, Any]], patient_id: str) -> dict[str, Any] | None:
    """What a FHIR server answers to one rendered prefetch query over `entries` (Bundle.entry)."""
    if "?" not in query:
        rtype, _, rid = query.partition("/")
        for entry in entries:
            res = entry["resource"]
            if res.get("resourceType") == rtype and res.get("id") == rid:
                return dict(res)
        return None
    rtype, _, qs = query.partition("?")
    tokens: set[tuple[str, str]] | None = None
    sort = None
    for param in qs.split("&"):
        name, _, value = param.partition("=")
        if name == "patient":
            if value != patient_id:
                raise ValueError(f"template asks for another patient: {query}")
        elif name == "code":
            tokens = {(s, c) for s, _, c in (t.partition("|") for t in value.split(","))}
        elif name == "_sort":
            sort = value
        elif name != "_count":
            raise ValueError(f"search parameter not supported by the bench applier: {name}")
    hits = [
        e for e in entries
        if e["resource"].get("resourceType") == rtype and _refers_to_patient(e["resource"], patient_id)
        and (tokens is None or _codes_match(e["resource"], tokens))
    ]
    if sort is not None:
        key = sort.lstrip("-")
        if key != "date":
            raise ValueError(f"_sort not supported by the bench applier: {sort}")
        hits.sort(key=lambda e: _date(e["resource"]), reverse=sort.startswith("-"))
    return {
        "resourceType": "Bundle", "type": "searchset", "total": len(hits),
        "entry": [{"fullUrl": e.get("fullUrl"), "resource": e["resource"], "search": {"mode": "match"}}
                  if e.get("fullUrl") else {"resource": e["resource"], "search": {"mode": "match"}}
                  for e in hits],
    }


def prefetch_for(service: Service, bundle: dict[str, Any], context: dict[str, str]) -> dict[str, Any]:
    entries = [e for e in bundle.get("entry", []) if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    out: dict[str, Any] = {}
    for key, template in service.prefetch.items():
        query = render(template, context)
        if query is not None:
            out[key] = apply_template(query, entries, context["patientId"])
    return out


def count_resources(prefetch: dict[str, Any]) -> int:
    n = 0
    for value in prefetch.values():
        if isinstance(value, dict):
            n += len(value.get("entry", [])) if value.get("resourceType") == "Bundle" else 1
    return n


def hook_case(name: str, bundle: dict[str, Any], encounter_id: str, services: dict[str, Service]) -> HookCase:
    service = services[DISCHARGE]
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    context = {"userId": USER, "patientId": patient["id"], "encounterId": encounter_id}
    prefetch = prefetch_for(service, bundle, context)
    request = {"hook": service.hook, "hookInstance": HOOK_INSTANCE, "context": context, "prefetch": prefetch}
    return HookCase(name, bundle, patient["id"], encounter_id, request, orjson.dumps(request),
                    count_resources(prefetch))


def _last_encounter(bundle: dict[str, Any]) -> str:
    encounters = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"]
    return str(max(encounters, key=lambda r: r.get("period", {}).get("end", ""))["id"])


def synthea_cases(services: dict[str, Service]) -> list[HookCase]:
    cases = []
    for path in sorted(SYNTHEA.glob("*-bundle.json")):
        bundle = orjson.loads(path.read_bytes())
        encounter = DELIVERY_ENCOUNTERS.get(path.name) or _last_encounter(bundle)
        cases.append(hook_case(f"synthea {path.name.split('-')[0]}", bundle, encounter, services))
    return cases


def synthetic_cases(services: dict[str, Service], sizes: tuple[int, ...] = SYNTHETIC_SIZES) -> list[HookCase]:
    cases = []
    for size in sizes:
        bundle, encounter = synthetic_patient(size)
        cases.append(hook_case(f"synthetic {size:,}", bundle, encounter, services))
    return cases


# --- synthetic patients ------------------------------------------------------------------------

BASE = "https://ehr.bench.example/fhir"
SCT, LOINC, UCUM = "http://snomed.info/sct", "http://loinc.org", "http://unitsofmeasure.org"
DISCHARGE_AT = datetime(2024, 6, 10, 11, 0, tzinfo=UTC)
_CONDITIONS = [("444814009", "Viral sinusitis"), ("10509002", "Acute bronchitis"),
               ("195662009", "Acute viral pharyngitis"), ("72892002", "Normal pregnancy"),
               ("162864005", "Body mass index 30+ - obesity"),
               ("15777000", "Prediabetes"), ("40055000", "Chronic sinusitis")]
_PROCEDURES = [("430193006", "Medication reconciliation"), ("710824005", "Assessment of health and social care needs"),
               ("171207006", "Depression screening"), ("386394001", "Pregnancy termination care"),
               ("252160004", "Standard pregnancy test")]
_ENCOUNTER_TYPES = [("185349003", "Encounter for check up"), ("424441002", "Prenatal initial visit"),
                    ("169762003", "Postnatal visit"), ("50849002", "Emergency room admission")]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _coded(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def synthetic_patient(size: int, seed: int = 20240610) -> tuple[dict[str, Any], str]:
    """A deterministic record of `size` resources: one patient, her delivery admission (vacuum
    delivery, pregnancy, weights and heights) and a ten-year history of encounters (20 %),
    conditions (10 %), observations (55 %: weight, height, BMI) and procedures (15 %)."""
    rng = random.Random(seed + size)
    pid = f"synth-{size}"
    patient_ref = {"reference": f"Patient/{pid}"}
    resources: list[dict[str, Any]] = [{
        "resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1991-02-14",
        "name": [{"family": "Bench", "given": [f"Synthetic{size}"]}],
    }]
    admit = DISCHARGE_AT - timedelta(days=2)
    delivery_enc = f"{pid}-enc-delivery"
    resources.append({
        "resourceType": "Encounter", "id": delivery_enc, "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "type": [_coded(SCT, "183460006", "Obstetric emergency hospital admission")], "subject": patient_ref,
        "period": {"start": _iso(admit), "end": _iso(DISCHARGE_AT)},
    })
    enc_ref = {"reference": f"Encounter/{delivery_enc}"}
    resources.append({
        "resourceType": "Procedure", "id": f"{pid}-proc-delivery", "status": "completed",
        "code": _coded(SCT, "61586001", "Delivery by vacuum extraction"), "subject": patient_ref,
        "encounter": enc_ref, "performedPeriod": {"start": _iso(admit + timedelta(hours=20)),
                                                  "end": _iso(admit + timedelta(hours=21))},
    })
    resources.append({
        "resourceType": "Condition", "id": f"{pid}-cond-pregnancy",
        "clinicalStatus": _coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved", "Resolved"),
        "verificationStatus": _coded("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed",
                                     "Confirmed"),
        "code": _coded(SCT, "72892002", "Normal pregnancy"), "subject": patient_ref,
        "onsetDateTime": _iso(admit - timedelta(weeks=39)), "abatementDateTime": _iso(admit + timedelta(hours=21)),
        "recordedDate": _iso(admit - timedelta(weeks=39)),
    })
    kinds = ["Encounter"] * 20 + ["Condition"] * 10 + ["Observation"] * 55 + ["Procedure"] * 15
    encounters = [delivery_enc]
    n = 0
    while len(resources) < size:
        n += 1
        kind = rng.choice(kinds)
        when = DISCHARGE_AT - timedelta(days=2 + rng.random() * 3650)
        rid = f"{pid}-{kind.lower()}-{n}"
        ref = {"reference": f"Encounter/{rng.choice(encounters)}"}
        if kind == "Encounter":
            system_code, display = rng.choice(_ENCOUNTER_TYPES)
            resources.append({
                "resourceType": "Encounter", "id": rid, "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "type": [_coded(SCT, system_code, display)], "subject": patient_ref,
                "period": {"start": _iso(when), "end": _iso(when + timedelta(minutes=30))},
            })
            encounters.append(rid)
        elif kind == "Condition":
            code, display = rng.choice(_CONDITIONS[:3] + _CONDITIONS[5:])
            resources.append({
                "resourceType": "Condition", "id": rid,
                "clinicalStatus": _coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved",
                                         "Resolved"),
                "verificationStatus": _coded("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                             "confirmed", "Confirmed"),
                "category": [_coded("http://terminology.hl7.org/CodeSystem/condition-category",
                                    "encounter-diagnosis", "Encounter Diagnosis")],
                "code": _coded(SCT, code, display), "subject": patient_ref, "encounter": ref,
                "onsetDateTime": _iso(when), "abatementDateTime": _iso(when + timedelta(days=10)),
                "recordedDate": _iso(when),
            })
        elif kind == "Observation":
            which = rng.randrange(3)
            code, display, value, unit = (
                ("29463-7", "Body Weight", round(rng.uniform(60, 95), 1), "kg"),
                ("8302-2", "Body Height", round(rng.uniform(160, 180), 1), "cm"),
                ("39156-5", "Body mass index (BMI) [Ratio]", round(rng.uniform(20, 33), 1), "kg/m2"),
            )[which]
            resources.append({
                "resourceType": "Observation", "id": rid, "status": "final",
                "category": [_coded("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs",
                                    "vital-signs")],
                "code": _coded(LOINC, code, display), "subject": patient_ref, "encounter": ref,
                "effectiveDateTime": _iso(when), "issued": _iso(when),
                "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            })
        else:
            code, display = rng.choice(_PROCEDURES)
            resources.append({
                "resourceType": "Procedure", "id": rid, "status": "completed",
                "code": _coded(SCT, code, display), "subject": patient_ref, "encounter": ref,
                "performedPeriod": {"start": _iso(when), "end": _iso(when + timedelta(minutes=15))},
            })
    bundle = {
        "resourceType": "Bundle", "type": "collection",
        "entry": [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
    return bundle, delivery_enc


def fresh_instance() -> str:
    return str(uuid.uuid4())
