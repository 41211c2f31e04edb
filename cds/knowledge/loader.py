"""Load and validate everything under rules/ before the first evaluation.

Nothing starts with invalid knowledge: the first problem raises `RuleError` naming the file,
the rule id, the field and what is wrong. `cds rules check` runs exactly this.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import yaml
from marshmallow import ValidationError

from cds.config import DEFAULT_RULES_DIR
from cds.errors import RuleError
from cds.fhir.index import concept_codes
from cds.knowledge.model import Anchor, Code, Criterion, Knowledge, Rule, Window
from cds.knowledge.schema import ContextSchema, RuleSchema, first_error

LEAFLET_SYSTEM = "https://bodem-cds.example.org/fhir/CodeSystem/leaflet-statement"


def read_yaml(path: Path, root: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(_rel(path, root), f"cannot be read ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RuleError(_rel(path, root), f"not valid YAML{where}") from None


def read_json(path: Path, root: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise RuleError(_rel(path, root), f"cannot be read ({type(exc).__name__})") from None
    except orjson.JSONDecodeError as exc:
        raise RuleError(_rel(path, root), f"not valid JSON ({exc.msg})") from None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_statements(root: Path) -> dict[str, dict[str, Any]]:
    doc = read_yaml(root / "leaflet" / "statements.yaml", root)
    if not isinstance(doc, dict) or not isinstance(doc.get("statements"), list):
        raise RuleError(_rel(root / "leaflet" / "statements.yaml", root), "no 'statements' list")
    return {s["id"]: s for s in doc["statements"] if isinstance(s, dict) and "id" in s}


def load_valuesets(root: Path) -> tuple[dict[str, frozenset[Code]], dict[Code, str]]:
    valuesets: dict[str, frozenset[Code]] = {}
    displays: dict[Code, str] = {}
    for path in sorted((root / "valuesets").glob("*.json")):
        doc = read_json(path, root)
        if not isinstance(doc, dict) or doc.get("resourceType") != "ValueSet":
            raise RuleError(_rel(path, root), "not a FHIR ValueSet")
        vs_id = doc.get("id")
        if vs_id != path.stem:
            raise RuleError(_rel(path, root), f"ValueSet.id must equal the file name {path.stem!r}")
        codes: set[Code] = set()
        for include in doc.get("compose", {}).get("include", []):
            system = include.get("system")
            for concept in include.get("concept", []):
                if not isinstance(system, str) or not isinstance(concept.get("code"), str):
                    raise RuleError(_rel(path, root), "every include needs a system and coded concepts")
                codes.add((system, concept["code"]))
                if isinstance(concept.get("display"), str):
                    displays.setdefault((system, concept["code"]), concept["display"])
        if not codes:
            raise RuleError(_rel(path, root), "the value set has no codes")
        valuesets[vs_id] = frozenset(codes)
    return valuesets, displays


def _load_with(schema: Any, doc: Any, file: str, rule: str | None) -> Any:
    try:
        return schema.load(doc)
    except ValidationError as exc:
        field, problem = first_error(exc.messages)
        raise RuleError(file, problem, rule=rule, field=field) from None


def _anchor(data: dict[str, Any] | None) -> Anchor | None:
    return Anchor(data["anchor"], data.get("offset")) if data else None


def _window(raw: Any, named: dict[str, Window]) -> Window:
    if isinstance(raw, str):
        return named[raw]
    return Window("inline", start=_anchor(raw.get("from_")), end=_anchor(raw.get("to")))


class _RuleChecker:
    """Cross-file checks for one rule: value sets, leaflet ids, windows, statuses."""

    def __init__(self, kb_parts: dict[str, Any], file: str, rule_id: str) -> None:
        self.parts, self.file, self.rule_id = kb_parts, file, rule_id

    def fail(self, field: str, problem: str) -> RuleError:
        return RuleError(self.file, problem, rule=self.rule_id, field=field)

    def criterion(self, n: int, raw: dict[str, Any]) -> Criterion:
        where = f"criteria[{n}]"
        for key in ("code", "category", "value_code", "relationship"):
            if key in raw and raw[key] not in self.parts["valuesets"]:
                raise self.fail(f"{where}.{key}", f"unknown value set {raw[key]!r}")
        window = raw.get("window")
        if isinstance(window, str) and window not in self.parts["windows"]:
            raise self.fail(f"{where}.window", f"unknown window {window!r}")
        never = set(self.parts["context"]["never_statuses"])
        status = raw.get("status")
        for key, values in (status or {}).items():
            if never & set(values):
                raise self.fail(f"{where}.status.{key}", f"never counts: {sorted(never & set(values))}")
        return Criterion(
            resource=raw["resource"],
            yields=raw["yields"],
            code=raw.get("code"),
            category=raw.get("category"),
            value_code=raw.get("value_code"),
            value_quantity=raw.get("value_quantity"),
            relationship=raw.get("relationship"),
            link_id=raw.get("link_id"),
            threshold=raw.get("threshold"),
            window=_window(window, self.parts["windows"]) if window is not None else None,
            active_at=_anchor(raw.get("active_at")),
            status={k: tuple(v) for k, v in status.items()} if status else None,
        )


def load_rule(path: Path, root: Path, parts: dict[str, Any]) -> Rule:
    file = _rel(path, root)
    doc = read_yaml(path, root)
    rule_id = doc.get("id") if isinstance(doc, dict) and isinstance(doc.get("id"), str) else None
    data = _load_with(RuleSchema(), doc, file, rule_id)
    if path.parent.name != data["id"]:
        raise RuleError(file, f"the folder must be named after the rule id {data['id']!r}", rule=data["id"], field="id")
    checker = _RuleChecker(parts, file, data["id"])
    for n, sid in enumerate(data["leaflet"]):
        if sid not in parts["statements"]:
            raise checker.fail(f"leaflet[{n}]", f"unknown leaflet statement {sid!r}")
    criteria = tuple(checker.criterion(n, c) for n, c in enumerate(data["criteria"]))
    return Rule(
        id=data["id"],
        version=data["version"],
        kind=data["kind"],
        leaflet=tuple(data["leaflet"]),
        phases=tuple(data["phases"]),
        title=data["title"],
        reasons=data["reasons"],
        sources=data["sources"],
        criteria=criteria,
        file=file,
    )


def _citations(doc: Any, found: set[str]) -> None:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "leaflet" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            elif key == "coding" and isinstance(value, list):
                found.update(c["code"] for c in value if isinstance(c, dict) and c.get("system") == LEAFLET_SYSTEM)
            else:
                _citations(value, found)
    elif isinstance(doc, list):
        for item in doc:
            _citations(item, found)


def knowledge_version(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_knowledge(rules_dir: Path | str | None = None) -> Knowledge:
    root = Path(rules_dir) if rules_dir is not None else DEFAULT_RULES_DIR
    if not root.is_dir():
        raise RuleError(str(root), "rules directory not found")
    statements = load_statements(root)
    valuesets, displays = load_valuesets(root)
    context = _load_with(
        ContextSchema(), read_yaml(root / "context.yaml", root), _rel(root / "context.yaml", root), None
    )
    windows = {
        name: Window(name, bool(w.get("delivery_episode")), _anchor(w.get("from_")), _anchor(w.get("to")))
        for name, w in context["windows"].items()
    }
    parts = {"statements": statements, "valuesets": valuesets, "context": context, "windows": windows}
    rules: list[Rule] = []
    for path in sorted((root / "findings").glob("*/rule.yaml")):
        rule = load_rule(path, root, parts)
        if any(r.id == rule.id for r in rules):
            raise RuleError(rule.file, "duplicate rule id", rule=rule.id, field="id")
        rules.append(rule)
    if not rules:
        raise RuleError(_rel(root / "findings", root), "no rules found")
    texts = read_yaml(root / "cards" / "texts.yaml", root)
    if not isinstance(texts, dict):
        raise RuleError(_rel(root / "cards" / "texts.yaml", root), "not a mapping")
    questionnaires = {p.name: read_json(p, root) for p in sorted((root / "questionnaire").glob("*.json"))}
    citations: set[str] = set()
    for path in sorted(root.rglob("*.yaml")):
        if path.name != "statements.yaml":
            _citations(read_yaml(path, root), citations)
    for q in questionnaires.values():
        _citations(q, citations)
    kb = Knowledge(
        rules=rules,
        valuesets=valuesets,
        valueset_displays=displays,
        statements=statements,
        context=context,
        texts=texts,
        questionnaires=questionnaires,
        version=knowledge_version(root),
        citations=citations,
    )
    kb.reads = _reads(kb)
    return kb


def _reads(kb: Knowledge) -> dict[str, set[Code]]:
    """Resource types and codes the rules and the context read (an empty set: all of the type)."""
    reads: dict[str, set[Code]] = {"Patient": set(), "Encounter": set()}
    ctx = kb.context
    reads.setdefault("Procedure", set()).update(kb.codes(ctx["delivery"]["codes"]))
    reads.setdefault("Condition", set()).update(kb.codes(ctx["delivery"]["codes"]))
    reads["Condition"].update(kb.codes(ctx["pregnancy"]["condition_codes"]))
    reads.setdefault("Observation", set()).update(kb.codes(ctx["delivery"]["observation_codes"]))
    reads["Observation"].update(kb.codes(ctx["pregnancy"]["status_observation"]))
    for rule in kb.rules:
        for c in rule.criteria:
            if c.resource == "BMI":
                for vs in (ctx["bmi"]["bmi"], ctx["bmi"]["weight"], ctx["bmi"]["height"]):
                    reads["Observation"].update(kb.codes(vs))
            elif c.resource in ("FamilyMemberHistory", "QuestionnaireResponse"):
                reads.setdefault(c.resource, set())
            else:
                reads.setdefault(c.resource, set()).update(kb.codes(c.code))
    return reads


__all__ = ["concept_codes", "load_knowledge"]
