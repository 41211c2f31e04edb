"""Suggestion resources are validated once per shape: a new patient reuses it, a new shape does not."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from cds.fhir.shapes import ShapeValidator
from cds.hooks import actions
from cds.hooks.actions import Subject, leaflet, referral
from cds.knowledge import load_knowledge

CODES = load_knowledge().texts["suggestions"]


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    # Forget the shapes validated by other tests.
    monkeypatch.setattr(actions, "_REFERRAL", ShapeValidator(ServiceRequest, actions._PER_CALL))
    real = ServiceRequest.model_validate

    def spy(obj: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(obj["subject"]["reference"])
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(ServiceRequest, "model_validate", spy)
    return seen


def test_same_shape_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _count_validations(monkeypatch)
    first = referral(Subject("p1", "e1", "Practitioner/1"), "u1", "nl", CODES)
    second = referral(Subject("p2", "e2", "Practitioner/2"), "u2", "nl", CODES)
    assert seen == ["Patient/p1"]
    assert second["subject"] == {"reference": "Patient/p2"} and second["encounter"] == {"reference": "Encounter/e2"}
    assert first["identifier"][0]["value"] == "u1" and second["identifier"][0]["value"] == "u2"
    referral(Subject("p3", None, "Practitioner/3"), "u3", "nl", CODES)  # no encounter: another shape
    referral(Subject("p4", "e4", "Practitioner/4"), "u4", "en", CODES)  # other texts: another shape
    assert seen == ["Patient/p1", "Patient/p3", "Patient/p4"]


def test_an_invalid_shape_is_refused_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    _count_validations(monkeypatch)
    referral(Subject("p1", "e1", "Practitioner/1"), "u1", "nl", CODES)
    broken = {**CODES, "referral_code": {**CODES["referral_code"], "code": ""}}  # FHIR code: non-empty
    for patient in ("p1", "p2"):
        with pytest.raises(ValidationError):
            referral(Subject(patient, "e1", "Practitioner/1"), "u1", "nl", broken)


def test_leaflet_request_is_valid() -> None:
    resource = leaflet(Subject("p1", "e1", "Organization/x"), "u1", "en", "https://cds.example/education?lang=en")
    assert "requester" not in resource and resource["payload"][0]["contentAttachment"]["language"] == "en"
