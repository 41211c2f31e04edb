"""FHIR R4 resources that card suggestions propose, each checked against its R4B model.

The EHR creates these when the clinician accepts a suggestion. They are validated here because
an invalid resource would fail in the EHR, far from its cause. Validation costs ~100 us a
resource, so it runs once per shape: what differs between calls is only the text of references
and of the identifier value (FHIR strings, valid whatever non-empty text they hold), so the
resource with those texts blanked out decides, and is remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.hooks.texts import COMMUNICATION_CATEGORY, SUGGESTION_ID_SYSTEM, TEXTS

_REQUESTERS = ("Practitioner/", "PractitionerRole/")


@dataclass(frozen=True)
class Subject:
    patient_id: str
    encounter_id: str | None
    user_id: str


def referral(subject: Subject, suggestion_uuid: str, lang: str, codes: dict[str, Any]) -> dict[str, Any]:
    """A draft referral (ServiceRequest) to a pelvic floor physiotherapist; `codes` from rules/cards/texts.yaml."""
    t = TEXTS[lang]
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": SUGGESTION_ID_SYSTEM, "value": suggestion_uuid}],
        "status": "draft",
        "intent": "order",
        "category": [{"coding": [dict(codes["referral_category"])]}],
        "code": {"coding": [dict(codes["referral_code"])], "text": t["referral_code_text"]},
        "subject": {"reference": f"Patient/{subject.patient_id}"},
        "performerType": {"text": t["performer"]},
    }
    _add_common(resource, subject)
    _validate(ServiceRequest, resource)
    return resource


def leaflet(subject: Subject, suggestion_uuid: str, lang: str, page_url: str) -> dict[str, Any]:
    """A draft CommunicationRequest: give the patient the education page (the leaflet)."""
    t = TEXTS[lang]
    resource: dict[str, Any] = {
        "resourceType": "CommunicationRequest",
        "identifier": [{"system": SUGGESTION_ID_SYSTEM, "value": suggestion_uuid}],
        "status": "draft",
        "category": [{"coding": [COMMUNICATION_CATEGORY]}],
        "subject": {"reference": f"Patient/{subject.patient_id}"},
        "recipient": [{"reference": f"Patient/{subject.patient_id}"}],
        "payload": [{"contentAttachment": {
            "contentType": "text/html",
            "language": lang,
            "url": page_url,
            "title": t["leaflet_title"],
        }}],
    }
    _add_common(resource, subject)
    _validate(CommunicationRequest, resource)
    return resource


def _add_common(resource: dict[str, Any], subject: Subject) -> None:
    if subject.encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{subject.encounter_id}"}
    if subject.user_id.startswith(_REQUESTERS):
        resource["requester"] = {"reference": subject.user_id}


_VALID_SHAPES: set[bytes] = set()
_PER_CALL = ("subject", "recipient", "encounter", "requester")  # References built from the context


def _validate(model: Any, resource: dict[str, Any]) -> None:
    """`model.model_validate(resource)`, once per shape (see the module docstring)."""
    shape = dict(resource)
    for key in _PER_CALL:
        if key in shape:
            shape[key] = _blank(shape[key])
    shape["identifier"] = [{**i, "value": "x"} for i in resource["identifier"]]
    seen = orjson.dumps(shape, option=orjson.OPT_SORT_KEYS)
    if seen in _VALID_SHAPES:
        return
    model.model_validate(resource)
    if len(_VALID_SHAPES) < 1024:  # shapes: services x languages x (encounter?, requester?)
        _VALID_SHAPES.add(seen)


def _blank(value: Any) -> Any:
    """A Reference (or list of them) with its reference text replaced by a fixed one."""
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return {**value, "reference": "x"} if value.get("reference") else value
