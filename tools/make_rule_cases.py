"""Write the hand-made FHIR R4 case bundles beside each rule (rules/findings/<rule>/cases/).

Run `python tools/make_rule_cases.py` after changing a case here; the JSON files are committed,
so the rules' tests never need this script. Every code used is one of the verified codes in
rules/valuesets/ (or deliberately not, where a case shows that an unlisted code is ignored).
Shapes: "us" follows HL7 BFDR (delivery route as Procedure with category LOINC 73762-7),
"nl" follows Nictiz Geboortezorg (Observation 364336006 with a coded value; Condition category
362972006), "synthea" follows the Synthea bundles (no categories, performedPeriod, vital signs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent / "rules" / "findings"
SCT, LOINC, ICD10CM = "http://snomed.info/sct", "http://loinc.org", "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
Q_URL = "https://bodem-cds.example.org/fhir/Questionnaire/pelvic-floor-risk"
PATIENT = {"reference": "Patient/pat-1"}
ENC = {"reference": "Encounter/enc-delivery"}
DELIVERED = "2024-03-10T08:00:00+01:00"
AS_OF = "2024-03-12T12:00:00+01:00"  # the discharge
PREG_ONSET = "2023-06-15"


def cc(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def patient() -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "pat-1", "gender": "female", "birthDate": "1992-04-02"}


def encounter() -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": "enc-delivery",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": PATIENT,
        "period": {"start": "2024-03-10T02:00:00+01:00", "end": "2024-03-12T11:00:00+01:00"},
    }


def pregnancy(onset: str = PREG_ONSET) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "preg-1",
        "subject": PATIENT,
        "clinicalStatus": cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved", "Resolved"),
        "code": cc(SCT, "72892002", "Normal pregnancy"),
        "onsetDateTime": onset,
        "abatementDateTime": DELIVERED,
    }


def procedure(
    pid: str, code: str, display: str, when: str = DELIVERED, status: str = "completed", shape: str = "synthea"
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": pid,
        "status": status,
        "subject": PATIENT,
        "encounter": ENC,
        "code": cc(SCT, code, display),
    }
    if shape == "us":
        r["category"] = cc(LOINC, "73762-7", "Final route and method of delivery")
        r["performedDateTime"] = when
    else:
        r["performedPeriod"] = {"start": when, "end": when}
    return r


def condition(
    cid: str,
    system: str,
    code: str,
    display: str,
    onset: str,
    abated: str | None = None,
    category: dict[str, Any] | None = None,
    verification: str | None = None,
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "subject": PATIENT,
        "code": cc(system, code, display),
        "onsetDateTime": onset,
    }
    status = "resolved" if abated else "active"
    r["clinicalStatus"] = cc("http://terminology.hl7.org/CodeSystem/condition-clinical", status, status)
    if abated:
        r["abatementDateTime"] = abated
    if category:
        r["category"] = [category]
    if verification:
        r["verificationStatus"] = cc(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification, verification
        )
    return r


def obs_quantity(oid: str, code: str, display: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": PATIENT,
        "category": [cc("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")],
        "code": cc(LOINC, code, display),
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def nl_birth_observation(oid: str, code: str, display: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": PATIENT,
        "encounter": ENC,
        "code": cc(SCT, "364336006", "Pattern of delivery"),
        "effectiveDateTime": DELIVERED,
        "valueCodeableConcept": cc(SCT, code, display),
    }


NL_DURANTE_PARTU = cc(SCT, "362972006", "aandoening durante partu")
BFDR_MORBIDITY = cc(LOINC, "73781-7", "Maternal morbidity")


def answers(qid: str, authored: str, **items: bool) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": qid,
        "status": "completed",
        "questionnaire": f"{Q_URL}|1.0.0",
        "subject": PATIENT,
        "authored": authored,
        "item": [{"linkId": k.replace("_", "-"), "answer": [{"valueBoolean": v}]} for k, v in items.items()],
    }


def fmh(fid: str, rel: str, rel_display: str, code: str, display: str) -> dict[str, Any]:
    return {
        "resourceType": "FamilyMemberHistory",
        "id": fid,
        "status": "completed",
        "patient": PATIENT,
        "date": "2023-07-01",
        "relationship": cc("http://terminology.hl7.org/CodeSystem/v3-RoleCode", rel, rel_display),
        "condition": [{"code": cc(SCT, code, display)}],
    }


def base(delivery: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [
        patient(),
        encounter(),
        pregnancy(),
        *(delivery if delivery is not None else [procedure("p-birth", "66348005", "Childbirth")]),
    ]


def bundle(resources: list[dict[str, Any]], kind: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r} for r in resources],
    }


# rule id -> list of (file, shape, expect, extra resources, evidence, note, delivery override)
CASES: dict[str, list[dict[str, Any]]] = {
    "R1-R2-complaints-before-pregnancy": [
        dict(
            file="present-synthea-cystitis-before.json",
            shape="synthea",
            expect="present",
            add=[condition("c-cyst", SCT, "38822007", "Cystitis", "2022-05-01", "2022-05-08")],
            evidence=["Condition/c-cyst"],
            note="Cystitis a year before the pregnancy (R2 read with R1).",
        ),
        dict(
            file="present-us-frequency-before.json",
            shape="us",
            expect="present",
            add=[condition("c-freq", SCT, "162116003", "Increased frequency of urination", "2021-01-10")],
            evidence=["Condition/c-freq"],
        ),
        dict(
            file="unknown-cystitis-during-pregnancy.json",
            shape="synthea",
            expect="unknown",
            add=[condition("c-cyst", SCT, "38822007", "Cystitis", "2023-09-01", "2023-09-08")],
            note="Began during the pregnancy: not a complaint before it.",
        ),
        dict(
            file="unknown-cystitis-recorded-later.json",
            shape="synthea",
            expect="unknown",
            add=[condition("c-cyst", SCT, "38822007", "Cystitis", "2026-05-01", "2026-05-08")],
            note="Recorded years after the discharge: ignored.",
        ),
        dict(
            file="unknown-entered-in-error.json",
            shape="nl",
            expect="unknown",
            add=[
                condition(
                    "c-cyst", SCT, "38822007", "Cystitis", "2022-05-01", "2022-05-08", verification="entered-in-error"
                )
            ],
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", pre_pregnancy_complaints=False)],
            evidence=["QuestionnaireResponse/qr-1"],
        ),
        dict(
            file="present-questionnaire-yes.json",
            shape="questionnaire",
            expect="present",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", pre_pregnancy_complaints=True)],
            evidence=["QuestionnaireResponse/qr-1"],
        ),
    ],
    "R3-involuntary-loss": [
        dict(
            file="present-nl-urinary-incontinence.json",
            shape="nl",
            expect="present",
            add=[condition("c-ui", SCT, "165232002", "Urinary incontinence", "2024-03-11")],
            evidence=["Condition/c-ui"],
        ),
        dict(
            file="present-us-faecal-incontinence.json",
            shape="us",
            expect="present",
            add=[condition("c-fi", SCT, "72042002", "Incontinence of feces", "2024-03-11")],
            evidence=["Condition/c-fi"],
        ),
        dict(
            file="unknown-resolved-before.json",
            shape="synthea",
            expect="unknown",
            add=[condition("c-ui", SCT, "165232002", "Urinary incontinence", "2020-01-01", "2020-06-01")],
            note="Resolved years ago: not current.",
        ),
        dict(
            file="unknown-urgency-not-incontinence.json",
            shape="generic",
            expect="unknown",
            add=[condition("c-urg", SCT, "75088002", "Urgent desire to urinate", "2024-03-11")],
            note="75088002 is urgency, not urge incontinence (87557004): never counts.",
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", loss_urine_wind_stool=False)],
        ),
        dict(
            file="present-questionnaire-yes.json",
            shape="questionnaire",
            expect="present",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", loss_urine_wind_stool=True)],
        ),
    ],
    "R4-prolapse-feeling": [
        dict(
            file="present-us-prolapse.json",
            shape="us",
            expect="present",
            add=[condition("c-pro", SCT, "73998008", "Prolapse of female genital organs", "2024-03-11")],
            evidence=["Condition/c-pro"],
        ),
        dict(
            file="present-questionnaire-yes.json",
            shape="questionnaire",
            expect="present",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", prolapse_feeling=True)],
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", prolapse_feeling=False)],
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
    ],
    "R5-mother-prolapse": [
        dict(
            file="present-fmh-mother.json",
            shape="generic",
            expect="present",
            add=[fmh("fmh-1", "MTH", "mother", "73998008", "Prolapse of female genital organs")],
            evidence=["FamilyMemberHistory/fmh-1"],
        ),
        dict(
            file="unknown-fmh-sister.json",
            shape="generic",
            expect="unknown",
            add=[fmh("fmh-1", "SIS", "sister", "73998008", "Prolapse of female genital organs")],
            note="The leaflet names the mother only.",
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", mother_prolapse=False)],
        ),
        dict(
            file="present-questionnaire-yes.json",
            shape="questionnaire",
            expect="present",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", mother_prolapse=True)],
        ),
    ],
    "R6-instrumental-delivery": [
        dict(
            file="present-synthea-instrumental.json",
            shape="synthea",
            expect="present",
            delivery=[
                procedure("p-instr", "236974004", "Instrumental delivery"),
                procedure("p-birth", "66348005", "Childbirth"),
            ],
            evidence=["Procedure/p-instr"],
        ),
        dict(
            file="present-us-forceps.json",
            shape="us",
            expect="present",
            delivery=[procedure("p-route", "302383004", "Forceps delivery", shape="us")],
            evidence=["Procedure/p-route"],
        ),
        dict(
            file="present-nl-vacuum-observation.json",
            shape="nl",
            expect="present",
            delivery=[nl_birth_observation("o-partus", "61586001", "Delivery by vacuum extraction")],
            evidence=["Observation/o-partus"],
        ),
        dict(
            file="absent-synthea-caesarean.json",
            shape="synthea",
            expect="absent",
            delivery=[procedure("p-cs", "11466000", "Cesarean section")],
            evidence=["Procedure/p-cs"],
        ),
        dict(
            file="absent-us-spontaneous.json",
            shape="us",
            expect="absent",
            delivery=[procedure("p-route", "700000006", "Vaginal delivery of fetus", shape="us")],
        ),
        dict(
            file="absent-nl-spontaneous-observation.json",
            shape="nl",
            expect="absent",
            delivery=[nl_birth_observation("o-partus", "48782003", "Delivery normal")],
        ),
        dict(
            file="unknown-synthea-childbirth-only.json",
            shape="synthea",
            expect="unknown",
            delivery=[procedure("p-birth", "66348005", "Childbirth")],
            note="'Childbirth' says nothing about the mode.",
        ),
        dict(
            file="unknown-instrumental-not-done.json",
            shape="us",
            expect="unknown",
            delivery=[
                procedure("p-birth", "66348005", "Childbirth"),
                procedure("p-route", "61586001", "Delivery by vacuum extraction", status="not-done", shape="us"),
            ],
        ),
        dict(
            file="unknown-instrumental-earlier-birth.json",
            shape="synthea",
            expect="unknown",
            delivery=[
                procedure("p-birth", "66348005", "Childbirth"),
                {
                    **procedure("p-old", "236974004", "Instrumental delivery", when="2019-02-01T10:00:00+01:00"),
                    "encounter": {"reference": "Encounter/enc-old"},
                },
            ],
            note="A vacuum at an earlier birth is not this delivery.",
        ),
    ],
    "R7-total-rupture": [
        dict(
            file="present-nl-fourth-degree.json",
            shape="nl",
            expect="present",
            add=[
                {
                    **condition(
                        "c-tear",
                        SCT,
                        "199934009",
                        "Fourth degree perineal tear during delivery - delivered",
                        DELIVERED,
                        category=NL_DURANTE_PARTU,
                    ),
                    "encounter": ENC,
                }
            ],
            evidence=["Condition/c-tear"],
        ),
        dict(
            file="present-us-bfdr-laceration.json",
            shape="us",
            expect="present",
            add=[
                condition(
                    "c-lac", SCT, "398019008", "Perineal laceration during delivery", DELIVERED, category=BFDR_MORBIDITY
                )
            ],
            evidence=["Condition/c-lac"],
        ),
        dict(
            file="absent-nl-second-degree.json",
            shape="nl",
            expect="absent",
            add=[
                condition(
                    "c-tear", SCT, "199925004", "Second degree perineal tear", DELIVERED, category=NL_DURANTE_PARTU
                )
            ],
        ),
        dict(
            file="absent-synthea-caesarean.json",
            shape="synthea",
            expect="absent",
            delivery=[procedure("p-cs", "11466000", "Cesarean section")],
        ),
        dict(
            file="unknown-laceration-without-bfdr-category.json",
            shape="generic",
            expect="unknown",
            add=[condition("c-lac", SCT, "398019008", "Perineal laceration during delivery", DELIVERED)],
            note="398019008 alone does not say the degree.",
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
    ],
    "R8-heavy-physical-work": [
        dict(
            file="present-questionnaire-yes.json",
            shape="questionnaire",
            expect="present",
            add=[answers("qr-1", "2023-08-01T10:00:00+02:00", heavy_physical_work=True)],
            evidence=["QuestionnaireResponse/qr-1"],
        ),
        dict(
            file="absent-latest-answer-no.json",
            shape="questionnaire",
            expect="absent",
            add=[
                answers("qr-1", "2023-08-01T10:00:00+02:00", heavy_physical_work=True),
                answers("qr-2", "2024-03-11T10:00:00+01:00", heavy_physical_work=False),
            ],
            evidence=["QuestionnaireResponse/qr-2"],
            note="The latest answer wins.",
        ),
        dict(
            file="unknown-answer-after-discharge.json",
            shape="questionnaire",
            expect="unknown",
            add=[answers("qr-1", "2024-04-01T10:00:00+02:00", heavy_physical_work=True)],
            note="Answered after the moment.",
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
    ],
    "R9-overweight": [
        dict(
            file="present-synthea-bmi-before.json",
            shape="synthea",
            expect="present",
            add=[obs_quantity("o-bmi", "39156-5", "Body Mass Index", 29.8, "kg/m2", "2022-11-20")],
            evidence=["Observation/o-bmi"],
        ),
        dict(
            file="absent-synthea-bmi-normal.json",
            shape="synthea",
            expect="absent",
            add=[obs_quantity("o-bmi", "39156-5", "Body Mass Index", 22.1, "kg/m2", "2023-05-01")],
        ),
        dict(
            file="absent-bmi-exactly-25.json",
            shape="generic",
            expect="absent",
            add=[obs_quantity("o-bmi", "39156-5", "Body Mass Index", 25.0, "kg/m2", "2023-05-01")],
            note="BMI > 25 strictly.",
        ),
        dict(
            file="unknown-bmi-years-after.json",
            shape="synthea",
            expect="unknown",
            add=[obs_quantity("o-bmi", "39156-5", "Body Mass Index", 31.0, "kg/m2", "2027-01-01")],
            note="Measured years after the delivery: after the moment, ignored.",
        ),
        dict(
            file="unknown-bmi-late-pregnancy.json",
            shape="synthea",
            expect="unknown",
            add=[obs_quantity("o-bmi", "39156-5", "Body Mass Index", 31.0, "kg/m2", "2024-02-01")],
            note="Late pregnancy weight is raised by the pregnancy: outside the window.",
        ),
        dict(
            file="present-us-computed-pounds-inches.json",
            shape="us",
            expect="present",
            add=[
                obs_quantity("o-w", "56077-1", "Body weight --pre current pregnancy", 170, "[lb_av]", "2023-05-20"),
                obs_quantity("o-h", "8302-2", "Body height", 64, "[in_i]", "2023-05-20"),
            ],
            evidence=["Observation/o-w"],
            note="170 lb at 64 in = BMI 29.2.",
        ),
        dict(
            file="absent-nl-computed-grams-cm.json",
            shape="nl",
            expect="absent",
            add=[
                obs_quantity("o-w", "29463-7", "Body weight", 60000, "g", "2023-06-20"),
                obs_quantity("o-h", "8302-2", "Body height", 170, "cm", "2021-03-01"),
            ],
            note="60 kg at 170 cm = BMI 20.8.",
        ),
        dict(
            file="unknown-weight-unconvertible-unit.json",
            shape="generic",
            expect="unknown",
            add=[
                obs_quantity("o-w", "29463-7", "Body weight", 11, "[stone_av]", "2023-06-20"),
                obs_quantity("o-h", "8302-2", "Body height", 170, "cm", "2021-03-01"),
            ],
        ),
        dict(
            file="present-coded-obesity.json",
            shape="synthea",
            expect="present",
            add=[condition("c-ob", SCT, "162864005", "Body mass index 30+ - obesity (finding)", "2019-08-22")],
            evidence=["Condition/c-ob"],
        ),
    ],
    "C1-urinary-incontinence": [
        dict(
            file="present-nl-stress-incontinence.json",
            shape="nl",
            expect="present",
            add=[condition("c-sui", SCT, "60241006", "Female stress incontinence", "2024-03-11")],
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
        dict(
            file="unknown-resolved.json",
            shape="us",
            expect="unknown",
            add=[condition("c-ui", SCT, "165232002", "Urinary incontinence", "2021-01-01", "2021-02-01")],
        ),
    ],
    "C2-wind-stool-incontinence": [
        dict(
            file="present-us-faecal-incontinence.json",
            shape="us",
            expect="present",
            add=[condition("c-fi", SCT, "72042002", "Incontinence of feces", "2024-03-11")],
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
        dict(
            file="unknown-entered-in-error.json",
            shape="nl",
            expect="unknown",
            add=[
                condition(
                    "c-fi", SCT, "72042002", "Incontinence of feces", "2024-03-11", verification="entered-in-error"
                )
            ],
        ),
    ],
    "C3-prolapse": [
        dict(
            file="present-nl-cystocele.json",
            shape="nl",
            expect="present",
            add=[condition("c-cys", SCT, "252005008", "Cystocele", "2024-03-11")],
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", prolapse_feeling=False)],
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
    ],
    "C4-dyspareunia": [
        dict(
            file="present-us-dyspareunia.json",
            shape="us",
            expect="present",
            add=[condition("c-dys", SCT, "71315007", "Dyspareunia", "2024-03-11")],
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", painful_intercourse=False)],
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
    ],
    "C5-pelvic-pain": [
        dict(
            file="present-nl-pelvic-girdle-pain.json",
            shape="nl",
            expect="present",
            add=[condition("c-pgp", SCT, "703619001", "Pelvic girdle pain", "2024-03-11")],
        ),
        dict(
            file="present-questionnaire-yes.json",
            shape="questionnaire",
            expect="present",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", pelvic_pain=True)],
        ),
        dict(
            file="absent-questionnaire-no.json",
            shape="questionnaire",
            expect="absent",
            add=[answers("qr-1", "2024-03-11T10:00:00+01:00", pelvic_pain=False)],
        ),
        dict(file="unknown-no-data.json", shape="synthea", expect="unknown", add=[]),
    ],
}


# ICD-coded variants of the same facts: US data carry ICD-10-CM, Dutch hospital data ICD-10 (WHO).
CASES["R1-R2-complaints-before-pregnancy"].append(dict(
    file="present-us-icd10cm-acute-cystitis.json", shape="us", expect="present", evidence=["Condition/c-cyst"],
    add=[condition("c-cyst", ICD10CM, "N30.00", "Acute cystitis without hematuria", "2022-11-02", "2022-11-09")]))
CASES["R3-involuntary-loss"].append(dict(
    file="present-us-icd10cm-stress-incontinence.json", shape="us", expect="present", evidence=["Condition/c-sui"],
    add=[condition("c-sui", ICD10CM, "N39.3", "Stress incontinence (female) (male)", "2024-03-11")]))
CASES["R4-prolapse-feeling"].append(dict(
    file="present-nl-icd10-cystocele.json", shape="nl", expect="present", evidence=["Condition/c-pro"],
    add=[condition("c-pro", ICD10, "N81.1", "Cystocele", "2024-03-11")]))
CASES["R5-mother-prolapse"].append(dict(
    file="present-nl-fmh-natural-mother.json", shape="nl", expect="present", evidence=["FamilyMemberHistory/fmh-1"],
    add=[fmh("fmh-1", "NMTH", "natural mother", "252005008", "Cystocele")]))
CASES["R7-total-rupture"].append(dict(
    file="present-us-icd10cm-fourth-degree.json", shape="us", expect="present", evidence=["Condition/c-tear"],
    add=[condition("c-tear", ICD10CM, "O70.3", "Fourth degree perineal laceration during delivery", DELIVERED)]))
CASES["R9-overweight"].append(dict(
    file="present-us-icd10cm-bmi-27.json", shape="us", expect="present", evidence=["Condition/c-bmi"],
    add=[condition("c-bmi", ICD10CM, "Z68.27", "Body mass index [BMI] 27.0-27.9, adult", "2023-05-01")]))


def main() -> int:
    for rule, cases in CASES.items():
        folder = ROOT / rule
        if not folder.is_dir():
            print(f"no rule folder {folder}", file=sys.stderr)
            return 2
        (folder / "cases").mkdir(exist_ok=True)
        suite: dict[str, Any] = {"rule": rule, "cases": []}
        for case in cases:
            resources = base(case.get("delivery")) + case.get("add", [])
            kind = "transaction" if case["shape"] == "synthea" else "collection"
            (folder / "cases" / case["file"]).write_text(
                json.dumps(bundle(resources, kind), indent=1, ensure_ascii=False) + "\n"
            )
            entry = {
                "file": case["file"],
                "shape": case["shape"],
                "as_of": AS_OF,
                "encounter": "enc-delivery",
                "expect": case["expect"],
            }
            if case.get("evidence"):
                entry["evidence"] = case["evidence"]
            if case.get("note"):
                entry["note"] = case["note"]
            suite["cases"].append(entry)
        header = (
            f"# Cases for {rule}: each file is a FHIR R4 Bundle; `expect` is the finding's status as of\n"
            "# `as_of` (the discharge of encounter enc-delivery). Written by tools/make_rule_cases.py.\n"
        )
        (folder / "suite.yaml").write_text(
            header + yaml.safe_dump(suite, sort_keys=False, allow_unicode=True, width=110)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
