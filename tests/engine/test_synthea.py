"""The Synthea life histories, each evaluated at the discharge of its delivery admission.

Expected values were read off the bundles by hand (procedures and observations listed in
tests/fixtures/synthea/SOURCES.tsv's files), not produced by the engine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cds.cards import build_cards
from cds.engine import Evaluation, evaluate
from cds.fhir import parse_input
from cds.fhir.dates import clinical_interval
from cds.knowledge import Knowledge

SYN = Path(__file__).resolve().parents[1] / "fixtures" / "synthea"

# file -> expected statuses at the discharge from its delivery admission (deliveries.json)
DELIVERIES: dict[str, str] = json.loads((SYN / "deliveries.json").read_text())["deliveries"]
EXPECTED = {
    "1071287-bundle.json": {"R6-instrumental-delivery": "present", "R9-overweight": "present"},
    "1071989-bundle.json": {
        "R6-instrumental-delivery": "unknown",  # Childbirth only: mode not recorded
        "R1-R2-complaints-before-pregnancy": "present",  # cystitis 2020, pregnancy 2022
        "R9-overweight": "absent",
    },  # BMI 19.8 in 2021-07
    "1398230-bundle.json": {"R6-instrumental-delivery": "present", "R9-overweight": "present"},  # BMI 27.7 2016-11
    "1456080-bundle.json": {
        "R6-instrumental-delivery": "absent",  # caesarean alone
        "R7-total-rupture": "absent",
        "R9-overweight": "present",
    },  # coded obesity since 2009
    "1504747-bundle.json": {
        "R1-R2-complaints-before-pregnancy": "unknown",  # the cystitis is from 2022, years after the 2016 birth
        "R9-overweight": "present",
    },  # BMI 26.5 in 2014-07, within 24 months before 2015-07
    "842479-bundle.json": {
        "R9-overweight": "unknown",  # first BMI in 2016, two years after the 2014 birth
        "R6-instrumental-delivery": "unknown",
    },
}


def _run(kb: Knowledge, name: str, encounter: str | None = None, as_of: datetime | None = None) -> Evaluation:
    parsed = parse_input((SYN / name).read_bytes())
    if as_of is None:
        enc = next(r for r in parsed.resources if r["resourceType"] == "Encounter" and r["id"] == encounter)
        as_of = clinical_interval(enc)[1]
    assert as_of is not None
    return evaluate(kb, parsed, as_of=as_of, encounter_id=encounter, lang="en")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_synthea_at_discharge(kb: Knowledge, name: str) -> None:
    encounter, expected = DELIVERIES[name], EXPECTED[name]
    ev = _run(kb, name, encounter)
    assert ev.phase == "postpartum"
    assert ev.delivery is not None and ev.delivery.encounter == f"Encounter/{encounter}"
    statuses = {f.rule: f.status for f in ev.findings}
    for rule, status in expected.items():
        assert statuses[rule] == status, (rule, [f.reason for f in ev.findings if f.rule == rule])
    cards = build_cards(kb, ev, "nl")
    assert [c["indicator"] for c in cards] == (["warning", "info"] if ev.at_risk else ["info"])


def test_no_delivery_at_all_means_rules_do_not_apply(kb: Knowledge) -> None:
    ev = _run(kb, "848493-bundle.json", as_of=datetime(2023, 1, 1, tzinfo=UTC))
    assert ev.phase == "not-applicable" and ev.findings == [] and ev.delivery is None
    assert any("do not apply" in n for n in ev.notes)
    assert build_cards(kb, ev) == []


def test_delivery_older_than_twelve_months_does_not_apply(kb: Knowledge) -> None:
    ev = _run(kb, "1456080-bundle.json", as_of=datetime(2016, 1, 1, tzinfo=UTC))
    assert ev.phase == "not-applicable" and ev.delivery is not None


def test_data_after_the_moment_is_ignored(kb: Knowledge) -> None:
    # 1504747: obesity coded in 2023; at the 2016 discharge it must not count as evidence.
    ev = _run(kb, "1504747-bundle.json", "bf8955a7-cc5e-4695-990a-69b08aab9e39")
    r9 = next(f for f in ev.findings if f.rule == "R9-overweight")
    assert all(e.date is None or e.date <= ev.as_of for f in ev.findings for e in f.evidence)
    assert all("2023" not in (e.date.isoformat() if e.date else "") for e in r9.evidence)
    assert any("recorded after the evaluation moment were ignored" in n for n in ev.notes)


def test_pregnant_now_gets_antenatal_advice(kb: Knowledge) -> None:
    # 1071287 is pregnant from 2015-10-26 to the birth on 2016-05-09.
    ev = _run(kb, "1071287-bundle.json", as_of=datetime(2016, 1, 15, tzinfo=UTC))
    assert ev.phase == "antenatal" and ev.pregnancy is not None and ev.pregnancy.current
    assert "R6-instrumental-delivery" not in {f.rule for f in ev.findings}
    assert "R9-overweight" in {f.rule for f in ev.findings}
    cards = build_cards(kb, ev, "en")
    education = cards[-1]
    assert education["indicator"] == "info"
    assert kb.statements["T1"]["en"] in education["detail"]
