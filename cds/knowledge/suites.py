"""Each rule's own test cases: rules/findings/<rule>/suite.yaml naming FHIR bundles in cases/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds.config import DEFAULT_RULES_DIR
from cds.errors import RuleError
from cds.fhir.dates import parse_datetime
from cds.knowledge.loader import _load_with, _rel, read_yaml
from cds.knowledge.model import Knowledge
from cds.knowledge.schema import SuiteSchema


@dataclass(frozen=True)
class Case:
    rule: str
    path: Path
    shape: str
    as_of: str
    encounter: str | None
    expect: str
    evidence: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.rule}/{self.path.name}"


@dataclass(frozen=True)
class Suite:
    rule: str
    cases: tuple[Case, ...]


def load_suites(kb: Knowledge, rules_dir: Path | None = None) -> list[Suite]:
    """Every rule's suite; a rule without one, or a case that points nowhere, is an error."""
    root = rules_dir or DEFAULT_RULES_DIR
    suites = []
    for rule in kb.rules:
        path = root / "findings" / rule.id / "suite.yaml"
        file = _rel(path, root)
        if not path.is_file():
            raise RuleError(file, "the rule has no suite.yaml with cases", rule=rule.id)
        data: dict[str, Any] = _load_with(SuiteSchema(), read_yaml(path, root), file, rule.id)
        if data["rule"] != rule.id:
            raise RuleError(file, f"suite names rule {data['rule']!r}", rule=rule.id, field="rule")
        cases = []
        for n, c in enumerate(data["cases"]):
            case_path = path.parent / "cases" / c["file"]
            if not case_path.is_file():
                raise RuleError(file, f"case file {c['file']!r} not found", rule=rule.id, field=f"cases[{n}].file")
            if parse_datetime(c["as_of"]) is None:
                raise RuleError(file, "not an ISO 8601 moment", rule=rule.id, field=f"cases[{n}].as_of")
            cases.append(
                Case(
                    rule.id,
                    case_path,
                    c["shape"],
                    c["as_of"],
                    c.get("encounter"),
                    c["expect"],
                    tuple(c.get("evidence", ())),
                )
            )
        suites.append(Suite(rule.id, tuple(cases)))
    return suites
