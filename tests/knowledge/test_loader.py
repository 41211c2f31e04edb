"""A broken rule file gives one precise error naming the file, the rule, the field and the problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from cds.errors import RuleError
from cds.knowledge import Knowledge, load_knowledge

RULES = Path(__file__).resolve().parents[2] / "rules"
RULE = "R6-instrumental-delivery"


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def _edit(rules: Path, change: Callable[[dict], None]) -> None:
    path = rules / "findings" / RULE / "rule.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))


BROKEN = {
    "missing version": (lambda d: d.pop("version"), "version", "Missing data"),
    "unknown field": (lambda d: d.update(severity="high"), "severity", "Unknown field"),
    "bad kind": (lambda d: d.update(kind="hint"), "kind", "Must be one of"),
    "unknown value set": (
        lambda d: d["criteria"][0].update(code="no-such-set"),
        "criteria[0].code",
        "unknown value set",
    ),
    "unknown leaflet id": (lambda d: d.update(leaflet=["R99"]), "leaflet[0]", "unknown leaflet statement"),
    "unknown window": (lambda d: d["criteria"][0].update(window="someday"), "criteria[0].window", "unknown window"),
    "bad duration": (
        lambda d: d["criteria"][0].update(window={"from": {"anchor": "delivery", "offset": "12 weeks"}}),
        "criteria.0.window",
        "not an ISO 8601 duration",
    ),
    "never status allowed": (
        lambda d: d["criteria"][0].update(status={"status": ["completed", "not-done"]}),
        "criteria[0].status.status",
        "never counts",
    ),
    "field not for resource": (
        lambda d: d["criteria"][0].update(link_id="x"),
        "criteria.0.link_id",
        "not allowed for resource Procedure",
    ),
    "no criteria": (lambda d: d.update(criteria=[]), "criteria", "Shorter than minimum"),
    "bad version": (lambda d: d.update(version="one"), "version", "String does not match"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_rule_file_names_file_rule_field_and_problem(rules: Path, name: str) -> None:
    change, field, problem = BROKEN[name]
    _edit(rules, change)
    with pytest.raises(RuleError) as info:
        load_knowledge(rules)
    message = info.value.message
    assert f"rules/findings/{RULE}/rule.yaml" in message
    assert f"rule {RULE}" in message
    assert field.replace(".0.", "[0].").replace("criteria.0", "criteria[0]") in message.replace(".0.", "[0].")
    assert problem in message
    assert "\n" not in message


def test_yaml_syntax_error_names_line(rules: Path) -> None:
    (rules / "findings" / RULE / "rule.yaml").write_text("id: x\nversion: [1.0\n")
    with pytest.raises(RuleError, match=r"rule.yaml: not valid YAML at line \d"):
        load_knowledge(rules)


def test_value_set_file_must_match_its_id(rules: Path) -> None:
    path = rules / "valuesets" / "caesarean.json"
    path.write_text(path.read_text().replace('"id": "caesarean"', '"id": "other"', 1))
    with pytest.raises(RuleError, match=r"caesarean\.json: ValueSet\.id must equal the file name"):
        load_knowledge(rules)


def test_duplicate_and_folder_name_checked(rules: Path) -> None:
    shutil.copytree(rules / "findings" / RULE, rules / "findings" / "R6-copy")
    with pytest.raises(RuleError, match="folder must be named after the rule id"):
        load_knowledge(rules)


def test_shipped_rules_load(kb: Knowledge) -> None:
    assert {r.id for r in kb.rules} >= {
        "R1-R2-complaints-before-pregnancy",
        "R6-instrumental-delivery",
        "R9-overweight",
    }
    for rule in kb.rules:
        assert rule.sources["codes"] and rule.version and rule.leaflet
    assert len(kb.version) == 16


def test_version_changes_with_any_rule_file(rules: Path) -> None:
    before = load_knowledge(rules).version
    _edit(rules, lambda d: d.update(version="1.0.1"))
    assert load_knowledge(rules).version != before
