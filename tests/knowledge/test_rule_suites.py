"""Every rule's own cases, collected into one parametrised test (the gatekeeper-library layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds.engine import evaluate
from cds.fhir import parse_input
from cds.fhir.dates import parse_moment
from cds.knowledge import Knowledge, load_knowledge
from cds.knowledge.suites import Case, load_suites

_KB = load_knowledge()
CASES: list[Case] = [c for s in load_suites(_KB) for c in s.cases]
COVERED_KINDS = ("risk-factor", "complaint", "exercise", "advice")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rule_case(case: Case, kb: Knowledge) -> None:
    parsed = parse_input(case.path.read_bytes())
    ev = evaluate(kb, parsed, as_of=parse_moment(case.as_of), encounter_id=case.encounter, lang="en")
    finding = next(f for f in ev.findings if f.rule == case.rule)
    assert finding.status == case.expect, finding.reason
    refs = [e.reference for e in finding.evidence]
    for expected in case.evidence:
        assert expected in refs, f"{expected} not in evidence {refs}"
    if case.expect == "unknown":
        assert finding.evidence == ()


def test_every_rule_has_present_absent_or_unknown_cases(kb: Knowledge) -> None:
    for suite in load_suites(kb):
        expects = {c.expect for c in suite.cases}
        assert "present" in expects and "unknown" in expects, suite.rule
        if not suite.rule.startswith(("C1", "C2", "R6", "R7", "R9")):
            continue
        assert len(suite.cases) >= 3, suite.rule


def test_rule_without_cases_fails(tmp_path: Path) -> None:
    import shutil

    from cds.errors import RuleError

    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[2] / "rules", rules)
    (rules / "findings" / "R8-heavy-physical-work" / "suite.yaml").unlink()
    kb = load_knowledge(rules)
    with pytest.raises(RuleError, match=r"R8-heavy-physical-work.*no suite\.yaml"):
        load_suites(kb, rules)


def test_every_leaflet_statement_of_a_covered_kind_is_used(kb: Knowledge) -> None:
    wanted = {sid for sid, s in kb.statements.items() if s.get("kind") in COVERED_KINDS}
    unused = sorted(wanted - kb.citations)
    assert not unused, f"leaflet statements used by nothing in rules/: {unused}"


def test_all_three_shapes_are_exercised() -> None:
    shapes = {c.shape for c in CASES}
    assert {"us", "nl", "synthea", "questionnaire"} <= shapes
