"""The shipped value sets and questionnaires are valid FHIR R4 and every code carries its verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.valueset import ValueSet

ROOT = Path(__file__).resolve().parents[2]
VALUESETS = sorted((ROOT / "rules" / "valuesets").glob("*.json"))
QUESTIONNAIRES = {
    lang: ROOT / "rules" / "questionnaire" / f"pelvic-floor-questionnaire.{lang}.json" for lang in ("nl", "en")
}

VERIFICATION_URL = "https://bodem-cds.example.org/fhir/StructureDefinition/code-verification"
BASE = "https://bodem-cds.example.org/fhir"
SCT = "http://snomed.info/sct"
WHO = "http://hl7.org/fhir/sid/icd-10"
CM = "http://hl7.org/fhir/sid/icd-10-cm"
LEAFLET = f"{BASE}/CodeSystem/leaflet-statement"

# Codes the terminology research marks as wrong for this use, per value set (None: no set at all).
FORBIDDEN: dict[tuple[str, str], set[str] | None] = {
    # "Urgent desire to urinate (finding)": a symptom, not urge incontinence (87557004).
    (SCT, "75088002"): None,
}
# Codes that say nothing about the delivery mode must not imply "R6 absent".
MODELESS_DELIVERY = {
    (SCT, "66348005"),
    (SCT, "65588006"),
    (SCT, "22633006"),
    (SCT, "386216000"),
    (SCT, "367494004"),
    (SCT, "289259007"),
}
EXPECTED_IDS = {
    "delivery",
    "delivery-pattern-observation",
    "instrumental-delivery",
    "non-instrumental-delivery",
    "caesarean",
    "oasis",
    "perineum-no-oasis",
    "perineal-laceration-bfdr",
    "maternal-morbidity-category",
    "pregnancy",
    "pregnancy-status-observation",
    "pregnant-value",
    "pre-pregnancy-pelvic-floor-complaints",
    "cystitis-constipation-dyspareunia",
    "urinary-incontinence",
    "faecal-incontinence",
    "genital-prolapse",
    "dyspareunia",
    "pelvic-pain",
    "overweight-obesity",
    "bmi",
    "body-weight",
    "body-weight-at-delivery",
    "body-height",
    "mother",
}
LINK_IDS = {
    "pre-pregnancy-complaints": {"R1", "R2"},
    "loss-urine-wind-stool": {"R3", "C1", "C2"},
    "prolapse-feeling": {"R4", "C3"},
    "mother-prolapse": {"R5"},
    "heavy-physical-work": {"R8"},
    "painful-intercourse": {"C4"},
    "pelvic-pain": {"C5"},
}


def _load(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _codes(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(inc["system"], c["code"]) for inc in doc["compose"]["include"] for c in inc["concept"]}


@pytest.fixture(scope="module")
def valuesets() -> dict[str, dict[str, Any]]:
    return {p.stem: _load(p) for p in VALUESETS}


def test_every_expected_value_set_is_shipped(valuesets: dict[str, dict[str, Any]]) -> None:
    assert set(valuesets) >= EXPECTED_IDS


@pytest.mark.parametrize("path", VALUESETS, ids=lambda p: p.stem)
def test_value_set_is_valid_r4(path: Path) -> None:
    doc = _load(path)
    vs = ValueSet.model_validate(doc)
    assert vs.id == path.stem
    assert vs.url == f"{BASE}/ValueSet/{path.stem}"
    assert vs.version == "1.0.0"
    assert vs.status == "active"
    assert vs.name and vs.title and vs.description
    assert vs.compose is not None and vs.compose.include
    systems = [inc.system for inc in vs.compose.include]
    assert len(systems) == len(set(systems)), "one include per system"


@pytest.mark.parametrize("path", VALUESETS, ids=lambda p: p.stem)
def test_every_concept_is_verified(path: Path) -> None:
    for include in _load(path)["compose"]["include"]:
        assert include["concept"], include["system"]
        for concept in include["concept"]:
            assert concept.get("display"), concept["code"]
            texts = [e.get("valueString", "") for e in concept.get("extension", []) if e.get("url") == VERIFICATION_URL]
            assert len(texts) == 1, f"{concept['code']}: needs exactly one verification extension"
            assert texts[0].startswith("VERIFIED"), f"{concept['code']}: {texts[0]!r}"


@pytest.mark.parametrize("path", VALUESETS, ids=lambda p: p.stem)
def test_no_duplicate_codes(path: Path) -> None:
    for include in _load(path)["compose"]["include"]:
        codes = [c["code"] for c in include["concept"]]
        assert len(codes) == len(set(codes)), include["system"]


def test_no_code_marked_wrong(valuesets: dict[str, dict[str, Any]]) -> None:
    for vs_id, doc in valuesets.items():
        for key, allowed in FORBIDDEN.items():
            if key in _codes(doc):
                assert allowed is not None and vs_id in allowed, f"{key} must not be in {vs_id}"
    incontinence = _codes(valuesets["urinary-incontinence"]) | _codes(valuesets["faecal-incontinence"])
    assert (SCT, "75088002") not in incontinence
    assert (SCT, "87557004") in incontinence


def test_displays_agree_across_value_sets(valuesets: dict[str, dict[str, Any]]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for doc in valuesets.values():
        for include in doc["compose"]["include"]:
            for concept in include["concept"]:
                key = (include["system"], concept["code"])
                assert seen.setdefault(key, concept["display"]) == concept["display"], key


def test_delivery_mode_sets_are_consistent(valuesets: dict[str, dict[str, Any]]) -> None:
    delivery = _codes(valuesets["delivery"])
    instrumental = _codes(valuesets["instrumental-delivery"])
    non_instrumental = _codes(valuesets["non-instrumental-delivery"])
    caesarean = _codes(valuesets["caesarean"])
    assert not instrumental & non_instrumental
    assert caesarean <= non_instrumental
    assert instrumental | non_instrumental <= delivery
    assert not MODELESS_DELIVERY & non_instrumental
    assert {(SCT, "61586001"), (SCT, "302383004"), (SCT, "236974004")} <= instrumental
    assert (SCT, "11466000") in caesarean


def test_perineum_sets_are_disjoint(valuesets: dict[str, dict[str, Any]]) -> None:
    oasis = _codes(valuesets["oasis"])
    assert not oasis & _codes(valuesets["perineum-no-oasis"])
    assert {(SCT, "199930000"), (SCT, "199934009"), (WHO, "O70.2"), (CM, "O70.3")} <= oasis


def test_weight_at_delivery_is_kept_apart(valuesets: dict[str, dict[str, Any]]) -> None:
    assert ("http://loinc.org", "69461-2") not in _codes(valuesets["body-weight"])
    assert _codes(valuesets["body-weight-at-delivery"]) == {("http://loinc.org", "69461-2")}


def test_icd_systems_use_their_own_code_forms(valuesets: dict[str, dict[str, Any]]) -> None:
    for doc in valuesets.values():
        for system, code in _codes(doc):
            if system in (WHO, CM):
                assert code[0].isalpha() and code == code.upper(), code
                assert "." in code or len(code) == 3, code


@pytest.mark.parametrize("lang", sorted(QUESTIONNAIRES))
def test_questionnaire_is_valid_r4(lang: str) -> None:
    doc = _load(QUESTIONNAIRES[lang])
    q = Questionnaire.model_validate(doc)
    assert q.url == f"{BASE}/Questionnaire/pelvic-floor-risk"
    assert q.version == "1.0.0"
    assert q.language == lang
    assert q.status == "active"
    assert q.item
    for item in q.item:
        assert item.type == "boolean"
        assert item.text
        assert item.code
        assert {c.system for c in item.code} == {LEAFLET}


def test_questionnaires_share_link_ids_and_codes() -> None:
    docs = {lang: _load(path) for lang, path in QUESTIONNAIRES.items()}
    shape = {
        lang: [(i["linkId"], sorted(c["code"] for c in i["code"])) for i in doc["item"]] for lang, doc in docs.items()
    }
    assert shape["nl"] == shape["en"]
    assert {link: set(codes) for link, codes in shape["nl"]} == LINK_IDS
    assert docs["nl"]["url"] == docs["en"]["url"]
    assert docs["nl"]["version"] == docs["en"]["version"]
    texts = {lang: [i["text"] for i in doc["item"]] for lang, doc in docs.items()}
    assert all(nl != en for nl, en in zip(texts["nl"], texts["en"], strict=True))
