"""Checklist C (request inputs) and K (hook contexts), over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .cases import synthea_cases
from .conftest import set_clock
from .fhir_server import FhirServer
from .live import Ehr

DISCHARGE = "pfd-risk-discharge"
VIEW = "pfd-risk-patient-view"
CASE = next(c for c in synthea_cases() if c.name == "1071287-bundle.json")


@pytest.fixture
def ready(ehr: Ehr, fhir: FhirServer) -> Ehr:
    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now)
    return ehr


def _request(ehr: Ehr, service_id: str = DISCHARGE, **kwargs: Any) -> dict[str, Any]:
    service = ehr.services()[service_id]
    return ehr.request(service, CASE.context(service["hook"]), **kwargs)


def _outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Traceback" not in response.text
    return body


def test_c1_wrong_hook_is_400(ready: Ehr) -> None:
    body = _request(ready)
    body["hook"] = "patient-view"
    _outcome(ready.call(DISCHARGE, body), 400)


@pytest.mark.parametrize("value", ["not-a-uuid", "", 42, None])
def test_c2_hook_instance_must_be_a_uuid(ready: Ehr, value: Any) -> None:
    body = _request(ready)
    body["hookInstance"] = value
    _outcome(ready.call(DISCHARGE, body), 400)


def test_c3_fhir_authorization_needs_fhir_server(ready: Ehr) -> None:
    body = _request(ready)
    del body["fhirServer"]
    _outcome(ready.call(DISCHARGE, body), 400)


def test_c3_fhir_server_must_be_https_outside_loopback(ready: Ehr) -> None:
    body = _request(ready)
    body["fhirServer"] = "http://ehr.example.org/fhir"
    _outcome(ready.call(DISCHARGE, body), 400)


@pytest.mark.parametrize("change", [
    {"token_type": "MAC"}, {"expires_in": "300"}, {"access_token": ""}, {"scope": None},
])
def test_c4_fhir_authorization_shape(ready: Ehr, change: dict[str, Any]) -> None:
    body = _request(ready)
    body["fhirAuthorization"].update(change)
    _outcome(ready.call(DISCHARGE, body), 400)


@pytest.mark.parametrize("service_id,drop", [
    (DISCHARGE, "encounterId"), (DISCHARGE, "patientId"), (DISCHARGE, "userId"),
    (VIEW, "patientId"), (VIEW, "userId"),
])
def test_c5_k1_k2_required_context(ready: Ehr, service_id: str, drop: str) -> None:
    body = _request(ready, service_id)
    del body["context"][drop]
    _outcome(ready.call(service_id, body), 400)


def test_k1_discharge_user_is_a_practitioner(ready: Ehr) -> None:
    body = _request(ready)
    body["context"]["userId"] = "Patient/x"
    _outcome(ready.call(DISCHARGE, body), 400)


def test_k2_patient_view_encounter_is_optional(ready: Ehr) -> None:
    body = _request(ready, VIEW)
    assert "encounterId" not in body["context"]
    assert ready.call(VIEW, body).status_code == 200
    body = _request(ready, VIEW)
    body["context"]["encounterId"] = CASE.encounter_id
    assert ready.call(VIEW, body).status_code == 200


def test_c5_context_ids_must_be_fhir_ids(ready: Ehr) -> None:
    body = _request(ready, prefetch_keys=[])
    body["context"]["patientId"] = "../Patient?_id=1"
    _outcome(ready.call(DISCHARGE, body), 400)


def test_c7_extension_is_accepted_unknown_top_level_refused(ready: Ehr) -> None:
    body = _request(ready)
    body["extension"] = {"org.example.flag": True}
    assert ready.call(DISCHARGE, body).status_code == 200
    body["unknownField"] = 1
    _outcome(ready.call(DISCHARGE, body), 400)
