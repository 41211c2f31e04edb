"""FHIR R4 resources that card suggestions propose, each checked against its R4B model.

The EHR creates these when the clinician accepts a suggestion. They are validated here because
an invalid resource would fail in the EHR, far from its cause; once per shape (cds.fhir.shapes):
between calls only the references and the identifier value differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.fhir.shapes import ShapeValidator
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
    _REFERRAL.validate(resource)
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
    _LEAFLET.validate(resource)
    return resource


def _add_common(resource: dict[str, Any], subject: Subject) -> None:
    if subject.encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{subject.encounter_id}"}
    if subject.user_id.startswith(_REQUESTERS):
        resource["requester"] = {"reference": subject.user_id}


_PER_CALL = [(path, "string") for path in (
    "identifier.value", "subject.reference", "recipient.reference", "encounter.reference", "requester.reference",
)]
_REFERRAL = ShapeValidator(ServiceRequest, _PER_CALL)
_LEAFLET = ShapeValidator(CommunicationRequest, _PER_CALL)
