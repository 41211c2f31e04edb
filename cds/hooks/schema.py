"""marshmallow schemas for what an EHR sends: hook requests and feedback (CDS Hooks 2.0).

Top-level fields are fixed by the spec, so unknown ones are refused; `extension` is accepted
(and ignored). `context` is checked per hook: ids become parts of FHIR URLs, so they must be
FHIR ids. Error messages name fields, never values (values may be patient data).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from cds.errors import HookRequestError

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
USER_TYPES = {
    "encounter-discharge": ("Practitioner", "PractitionerRole"),
    "patient-view": ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson"),
}
CONTEXT_FIELDS = {  # hook -> (required, optional)
    "encounter-discharge": (("userId", "patientId", "encounterId"), ()),
    "patient-view": (("userId", "patientId"), ("encounterId",)),
}


class FhirAuthorizationSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # OAuth token responses carry extra members; we keep none of them

    access_token = fields.String(required=True, validate=validate.Length(min=1))
    token_type = fields.String(required=True, validate=validate.OneOf(["Bearer", "bearer"]))
    expires_in = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    scope = fields.String(required=True, validate=validate.Length(min=1))
    subject = fields.String(required=True, validate=validate.Length(min=1))
    patient = fields.String(validate=validate.Regexp(FHIR_ID))


class HookRequestSchema(Schema):
    hook = fields.String(required=True)
    hookInstance = fields.UUID(required=True)
    fhirServer = fields.Url(require_tld=False, schemes={"http", "https"})
    fhirAuthorization = fields.Nested(FhirAuthorizationSchema)
    context = fields.Dict(keys=fields.String(), required=True)
    prefetch = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    extension = fields.Dict(keys=fields.String())

    @validates_schema
    def _server_with_token(self, data: dict[str, Any], **_: Any) -> None:
        if "fhirAuthorization" in data and "fhirServer" not in data:
            raise ValidationError("required when fhirAuthorization is present", "fhirServer")


class CodingSchema(Schema):
    system = fields.String(required=True, validate=validate.Length(min=1))
    code = fields.String(required=True, validate=validate.Length(min=1))
    display = fields.String()
    version = fields.String()
    userSelected = fields.Boolean()


class OverrideReasonSchema(Schema):
    reason = fields.Nested(CodingSchema)
    userComment = fields.String()


class AcceptedSuggestionSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1))


class FeedbackItemSchema(Schema):
    card = fields.String(required=True, validate=validate.Length(min=1, max=128))
    outcome = fields.String(required=True, validate=validate.OneOf(["accepted", "overridden"]))
    outcomeTimestamp = fields.AwareDateTime(required=True)
    acceptedSuggestions = fields.List(fields.Nested(AcceptedSuggestionSchema))
    overrideReason = fields.Nested(OverrideReasonSchema)
    extension = fields.Dict(keys=fields.String())

    @validates_schema
    def _outcome_fields(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("outcome") == "accepted" and not data.get("acceptedSuggestions"):
            raise ValidationError("required when outcome is accepted", "acceptedSuggestions")
        if data.get("outcome") == "accepted" and "overrideReason" in data:
            raise ValidationError("only allowed when outcome is overridden", "overrideReason")


class FeedbackSchema(Schema):
    feedback = fields.List(
        fields.Nested(FeedbackItemSchema), required=True, validate=validate.Length(min=1, max=100)
    )
    extension = fields.Dict(keys=fields.String())


_HOOK_REQUEST = HookRequestSchema()
_FEEDBACK = FeedbackSchema()


def load_hook_request(doc: Any, hook: str) -> dict[str, Any]:
    """The validated request for a service of `hook`; HookRequestError otherwise."""
    data: dict[str, Any] = _load(_HOOK_REQUEST, doc)
    if data["hook"] != hook:
        raise HookRequestError(f"hook: this service answers {hook!r}")
    data["context"] = _context(data["context"], hook)
    return data


def load_feedback(doc: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _load(_FEEDBACK, doc)["feedback"]
    return items


def _context(context: dict[str, Any], hook: str) -> dict[str, str]:
    required, optional = CONTEXT_FIELDS[hook]
    out: dict[str, str] = {}
    for name in (*required, *optional):
        value = context.get(name)
        if value is None and name in optional:
            continue
        if not isinstance(value, str) or not value:
            raise HookRequestError(f"context.{name}: required string for {hook}")
        if name == "userId":
            kind, _, ident = value.partition("/")
            if kind not in USER_TYPES[hook] or not FHIR_ID.match(ident):
                raise HookRequestError(f"context.userId: expected one of {USER_TYPES[hook]}/id")
        elif not FHIR_ID.match(value):
            raise HookRequestError(f"context.{name}: not a FHIR id")
        out[name] = value
    return out


def _load(schema: Schema, doc: Any) -> Any:
    if not isinstance(doc, dict):
        raise HookRequestError("request body must be a JSON object")
    try:
        return schema.load(doc)
    except ValidationError as exc:
        raise HookRequestError(f"invalid request: {_describe(exc.messages)}") from None


def _describe(messages: Any, prefix: str = "") -> str:
    """Field paths and marshmallow's messages (which never quote the rejected value)."""
    if isinstance(messages, dict):
        parts = [_describe(v, f"{prefix}{k}.") for k, v in sorted(messages.items(), key=str)]
        return "; ".join(p for p in parts if p)
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.')}: {' '.join(messages)}"
    if isinstance(messages, list):
        return "; ".join(_describe(m, prefix) for m in messages)
    return f"{prefix.rstrip('.')}: {messages}"
