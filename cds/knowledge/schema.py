"""marshmallow schemas for rule files and the evaluation context. Unknown fields are refused.

Cross-file checks (value set ids, leaflet ids, named windows) are done by the loader, which
knows the other files; these schemas check each file's own shape.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from cds.fhir.dates import parse_duration

ANCHORS = ("as_of", "delivery", "delivery_end", "pregnancy_start")
RESOURCES = (
    "Condition",
    "Procedure",
    "Observation",
    "FamilyMemberHistory",
    "QuestionnaireResponse",
    "BMI",
)
OPS = (">", ">=", "<", "<=")
LANGS = ("nl", "en")


def _duration(value: str) -> None:
    try:
        parse_duration(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class StrictSchema(Schema):
    """Every schema of a knowledge file refuses unknown fields."""

    class Meta:
        unknown = RAISE


class TextSchema(StrictSchema):
    nl = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class AnchorSchema(StrictSchema):
    anchor = fields.String(required=True, validate=validate.OneOf(ANCHORS))
    offset = fields.String(validate=_duration)


class WindowSchema(StrictSchema):
    from_ = fields.Nested(AnchorSchema, data_key="from")
    to = fields.Nested(AnchorSchema)

    @validates_schema
    def _one_side(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("a window needs 'from', 'to' or both")


class WindowField(fields.Field):  # type: ignore[type-arg]
    """A named window (a string defined in context.yaml) or an inline {from, to} window."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):
            return WindowSchema().load(value)
        raise ValidationError("must be a window name or an object with 'from'/'to'")


class ComparisonSchema(StrictSchema):
    op = fields.String(required=True, validate=validate.OneOf(OPS))
    value = fields.Float(required=True)
    unit = fields.String()


_FIELDS_BY_RESOURCE: dict[str, set[str]] = {
    "Condition": {"code", "category", "window", "active_at", "status"},
    "Procedure": {"code", "category", "window", "status"},
    "Observation": {"code", "category", "value_code", "value_quantity", "window", "status"},
    "FamilyMemberHistory": {"code", "relationship", "status"},
    "QuestionnaireResponse": {"link_id", "window", "status"},
    "BMI": {"threshold", "window"},
}
_REQUIRED_BY_RESOURCE: dict[str, set[str]] = {
    "Condition": {"code"},
    "Procedure": {"code"},
    "Observation": {"code"},
    "FamilyMemberHistory": {"code", "relationship"},
    "QuestionnaireResponse": {"link_id"},
    "BMI": {"threshold", "window"},
}
_OPTIONAL = {
    "code",
    "category",
    "value_code",
    "value_quantity",
    "relationship",
    "link_id",
    "threshold",
    "window",
    "active_at",
    "status",
}


class CriterionSchema(StrictSchema):
    resource = fields.String(required=True, validate=validate.OneOf(RESOURCES))
    yields = fields.String(load_default="present", validate=validate.OneOf(("present", "absent")))
    code = fields.String()
    category = fields.String()
    value_code = fields.String()
    value_quantity = fields.Nested(ComparisonSchema)
    relationship = fields.String()
    link_id = fields.String()
    threshold = fields.Nested(ComparisonSchema)
    window = WindowField()
    active_at = fields.Nested(AnchorSchema)
    status = fields.Dict(keys=fields.String(), values=fields.List(fields.String(), validate=validate.Length(min=1)))

    @validates_schema
    def _fits_resource(self, data: dict[str, Any], **_: Any) -> None:
        rtype = data.get("resource")
        if rtype not in _FIELDS_BY_RESOURCE:
            return
        given = {k for k in _OPTIONAL if k in data}
        for name in sorted(given - _FIELDS_BY_RESOURCE[rtype]):
            raise ValidationError(f"not allowed for resource {rtype}", name)
        for name in sorted(_REQUIRED_BY_RESOURCE[rtype] - given):
            raise ValidationError(f"required for resource {rtype}", name)
        if "window" in data and "active_at" in data:
            raise ValidationError("give either window or active_at, not both", "active_at")
        compares = "value_quantity" in data or "threshold" in data
        if compares and data.get("yields") == "absent":
            raise ValidationError("a comparison yields present or absent by itself", "yields")


class ReasonsSchema(StrictSchema):
    present = fields.Nested(TextSchema, required=True)
    absent = fields.Nested(TextSchema, required=True)
    # `unknown` would shadow Schema.unknown (the unknown-fields policy): load it under another name.
    unknown_ = fields.Nested(TextSchema, required=True, data_key="unknown", attribute="unknown")


class SourcesSchema(StrictSchema):
    codes = fields.String(required=True, validate=validate.Length(min=1))
    choices = fields.List(fields.String(validate=validate.Length(min=1)))


class RuleSchema(StrictSchema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]*$"))
    version = fields.String(required=True, validate=validate.Regexp(r"^\d+\.\d+\.\d+$"))
    kind = fields.String(required=True, validate=validate.OneOf(("risk-factor", "complaint")))
    leaflet = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    phases = fields.List(
        fields.String(validate=validate.OneOf(("postpartum", "antenatal"))),
        required=True,
        validate=validate.Length(min=1),
    )
    title = fields.Nested(TextSchema, required=True)
    reasons = fields.Nested(ReasonsSchema, required=True)
    sources = fields.Nested(SourcesSchema, required=True)
    criteria = fields.List(fields.Nested(CriterionSchema), required=True, validate=validate.Length(min=1))


class CaseSchema(StrictSchema):
    file = fields.String(required=True)
    shape = fields.String(required=True, validate=validate.OneOf(("us", "nl", "synthea", "questionnaire", "generic")))
    as_of = fields.String(required=True)
    encounter = fields.String()
    expect = fields.String(required=True, validate=validate.OneOf(("present", "absent", "unknown")))
    evidence = fields.List(fields.String())
    note = fields.String()


class SuiteSchema(StrictSchema):
    rule = fields.String(required=True)
    cases = fields.List(fields.Nested(CaseSchema), required=True, validate=validate.Length(min=1))


class NamedWindowSchema(WindowSchema):
    delivery_episode = fields.Boolean()

    @validates_schema
    def _one_side(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("a window needs 'from', 'to' or delivery_episode")


class ContextSchema(StrictSchema):
    statuses = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.List(fields.String())),
        required=True,
    )
    never_statuses = fields.List(fields.String(), required=True)
    active_clinical_statuses = fields.List(fields.String(), required=True)
    delivery = fields.Dict(required=True)
    pregnancy = fields.Dict(required=True)
    bmi = fields.Dict(required=True)
    questionnaire = fields.Dict(required=True)
    windows = fields.Dict(keys=fields.String(), values=fields.Nested(NamedWindowSchema), required=True)
    sources = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


def first_error(messages: Any, path: str = "") -> tuple[str, str]:
    """The first (field path, message) of a marshmallow error tree, for a one-line error."""
    if isinstance(messages, dict):
        for key in sorted(messages, key=str):
            sub = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            if key == "_schema":
                sub = path or "(file)"
            return first_error(messages[key], sub)
    if isinstance(messages, list) and messages:
        if all(isinstance(m, str) for m in messages):
            return path or "(file)", "; ".join(messages)
        return first_error(messages[0], path)
    return path or "(file)", str(messages)


ID_PATTERN = re.compile(r"^[FCRTEKN]\d+$")
