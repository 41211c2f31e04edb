"""The follow-up plan (rules/followups/plan.yaml), loaded once at start and refused when wrong.

Errors name the file, the item and the field, so a clinical owner can fix the plan from the
first log line. Leaflet ids must exist in rules/leaflet/statements.yaml: the worklist quotes
those texts and never invents advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from marshmallow import ValidationError, fields, validate

from cds.errors import PlanError
from cds.fhir.dates import parse_duration
from cds.knowledge.loader import load_statements, read_yaml
from cds.knowledge.schema import StrictSchema, TextSchema

PLAN_FILE = Path("followups") / "plan.yaml"
_ID = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _positive_duration(value: str) -> None:
    try:
        delta = parse_duration(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if value.startswith("-") or delta == relativedelta():
        raise ValidationError("must be a positive ISO 8601 duration")


class _Recipient(TextSchema):
    role = fields.String(required=True, validate=_ID)


class _Source(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1))
    url = fields.Url()
    supports = fields.String(required=True, validate=validate.Length(min=1))


class _Item(StrictSchema):
    id = fields.String(required=True, validate=_ID)
    offset = fields.String(required=True, validate=_positive_duration)
    window = fields.String(required=True, validate=_positive_duration)
    recipient = fields.Nested(_Recipient, required=True)
    title = fields.Nested(TextSchema, required=True)
    instruction = fields.Nested(TextSchema, required=True)
    leaflet = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    sources = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class _Reasons(StrictSchema):
    risk = fields.Nested(TextSchema, required=True)
    postpartum = fields.Nested(TextSchema, required=True)
    accepted = fields.Nested(TextSchema, required=True)


class _Plan(StrictSchema):
    version = fields.String(required=True, validate=validate.Regexp(r"^\d+\.\d+\.\d+$"))
    sources = fields.Dict(keys=fields.String(validate=_ID), values=fields.Nested(_Source),
                          required=True)
    cancel_on_override = fields.List(fields.String(validate=_ID), required=True)
    reasons = fields.Nested(_Reasons, required=True)
    items = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class PlanItem:
    id: str
    offset: str
    window: str
    recipient: dict[str, str]
    title: dict[str, str]
    instruction: dict[str, str]
    leaflet: tuple[str, ...]
    sources: tuple[str, ...]

    def due_at(self, discharge_at: datetime) -> datetime:
        moment: datetime = discharge_at + parse_duration(self.offset)
        return moment

    def overdue_at(self, due_at: datetime) -> datetime:
        moment: datetime = due_at + parse_duration(self.window)
        return moment


@dataclass(frozen=True)
class Plan:
    version: str
    items: tuple[PlanItem, ...]
    cancel_on_override: frozenset[str]
    reasons: dict[str, dict[str, str]]
    sources: dict[str, dict[str, str]]
    statements: dict[str, dict[str, Any]]

    def item(self, item_id: str) -> PlanItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def advice(self, item: PlanItem, lang: str) -> list[dict[str, str]]:
        """The leaflet statements to give for an item, quoted from statements.yaml by id."""
        out = []
        for sid in item.leaflet:
            st = self.statements[sid]
            out.append({"id": sid, "name": str(st.get(f"name_{lang}", "")), "text": str(st[lang])})
        return out


def _first(messages: Any, path: tuple[str, ...] = ()) -> tuple[str, str]:
    """The first (field path, message) of a marshmallow error dict."""
    if isinstance(messages, dict):
        key = sorted(messages, key=str)[0]
        return _first(messages[key], (*path, str(key)))
    if isinstance(messages, list) and messages:
        return _first(messages[0], path)
    return ".".join(p for p in path if p != "_schema") or "(top)", str(messages)


def load_plan(rules_dir: Path) -> Plan:
    """Load and validate the plan; `PlanError` names file, item and field."""
    path = rules_dir / PLAN_FILE
    file = str(Path(rules_dir.name) / PLAN_FILE)
    if not path.is_file():
        raise PlanError(file, "file not found")
    doc = read_yaml(path, rules_dir)
    try:
        top = _Plan().load(doc if isinstance(doc, dict) else {})
    except ValidationError as exc:
        field, problem = _first(exc.messages)
        raise PlanError(file, problem, field=field) from None
    statements = load_statements(rules_dir)
    items: list[PlanItem] = []
    for n, raw in enumerate(top["items"]):
        given = raw.get("id") if isinstance(raw, dict) else None
        name = given if isinstance(given, str) else f"#{n}"
        try:
            data = _Item().load(raw if isinstance(raw, dict) else {})
        except ValidationError as exc:
            field, problem = _first(exc.messages)
            raise PlanError(file, problem, item=name, field=field) from None
        for sid in data["leaflet"]:
            if sid not in statements:
                raise PlanError(file, f"unknown leaflet statement {sid}", item=name,
                                field="leaflet")
        for key in data["sources"]:
            if key not in top["sources"]:
                raise PlanError(file, f"unknown source {key}", item=name, field="sources")
        if any(i.id == data["id"] for i in items):
            raise PlanError(file, "duplicate item id", item=name, field="id")
        items.append(PlanItem(
            id=data["id"], offset=data["offset"], window=data["window"],
            recipient=data["recipient"], title=data["title"], instruction=data["instruction"],
            leaflet=tuple(data["leaflet"]), sources=tuple(data["sources"]),
        ))
    return Plan(
        version=top["version"], items=tuple(items),
        cancel_on_override=frozenset(top["cancel_on_override"]),
        reasons=top["reasons"], sources=top["sources"], statements=statements,
    )
