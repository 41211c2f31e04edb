"""Card content: leaflet texts by id, both languages, CDS Hooks limits, nothing empty."""

from __future__ import annotations

from typing import Any

import pytest

from cds.cards import build_cards
from cds.engine import evaluate
from cds.fhir import parse_input
from cds.fhir.dates import parse_moment
from cds.knowledge import Knowledge
from tests.conftest import ROOT

CASE = ROOT / "rules" / "findings" / "R6-instrumental-delivery" / "cases" / "present-us-forceps.json"


def _cards(kb: Knowledge, lang: str, path: Any = CASE) -> list[dict[str, Any]]:
    ev = evaluate(kb, parse_input(path.read_bytes()), as_of=parse_moment("2024-03-12T12:00:00+01:00"),
                  encounter_id="enc-delivery", lang=lang)
    return build_cards(kb, ev, lang)


def _walk_no_empty(value: Any, path: str = "$") -> None:
    assert value is not None and value != "" and value != [] and value != {}, path
    if isinstance(value, dict):
        for k, v in value.items():
            _walk_no_empty(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            _walk_no_empty(v, f"{path}[{n}]")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_risk_and_education_cards(kb: Knowledge, lang: str) -> None:
    cards = _cards(kb, lang)
    assert [c["indicator"] for c in cards] == ["warning", "info"]
    risk, education = cards
    for card in cards:
        _walk_no_empty(card)
        assert len(card["summary"]) < 140
        assert card["source"]["url"].startswith("https://")
    assert kb.statements["F3"][lang] in risk["detail"]
    assert "R6" in risk["detail"] and "Forceps delivery" in risk["detail"]
    for sid in ("E1", "E3", "E6", "K1", "K4", "N1", "T2"):
        assert kb.statements[sid][lang] in education["detail"], sid
    unknown_titles = [r.title[lang] for r in kb.rules if r.id == "R8-heavy-physical-work"]
    assert unknown_titles[0] in risk["detail"]  # not assessed: listed so a clinician can ask


def test_dutch_and_english_differ(kb: Knowledge) -> None:
    nl, en = _cards(kb, "nl"), _cards(kb, "en")
    assert nl[0]["summary"] != en[0]["summary"]
    assert "bekkenbodem" in nl[0]["summary"].lower() and "pelvic floor" in en[0]["summary"].lower()


def test_long_factor_list_falls_back_to_leaflet_ids(kb: Knowledge, tmp_path: Any) -> None:
    import json

    doc = json.loads(CASE.read_text())
    extra = json.loads((ROOT / "rules/findings/R7-total-rupture/cases/present-nl-fourth-degree.json").read_text())
    more = json.loads((ROOT / "rules/findings/R5-mother-prolapse/cases/present-fmh-mother.json").read_text())
    ids = {e["resource"]["id"] for e in doc["entry"]}
    doc["entry"] += [e for e in extra["entry"] + more["entry"] if e["resource"]["id"] not in ids]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc))
    summary = _cards(kb, "en", path)[0]["summary"]
    assert len(summary) < 140 and "R5" in summary and "R6" in summary and "R7" in summary
