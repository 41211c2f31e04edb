"""Checklist C (request inputs) and K (hook contexts), over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .common import CASE, DISCHARGE, VIEW, outcome, request_for
from .live import Ehr


def test_c1_wrong_hook_is_400(ready: Ehr) -> None:
    body = request_for(ready)
    body["hook"] = "patient-view"
    outcome(ready.call(DISCHARGE, body), 400)


@pytest.mark.parametrize("value", ["not-a-uuid", "", 42, None])
def test_c2_hook_instance_must_be_a_uuid(ready: Ehr, value: Any) -> None:
    body = request_for(ready)
    body["hookInstance"] = value
    outcome(ready.call(DISCHARGE, body), 400)


def test_c3_fhir_authorization_needs_fhir_server(ready: Ehr) -> None:
    body = request_for(ready)
    del body["fhirServer"]
    outcome(ready.call(DISCHARGE, body), 400)


def test_c3_fhir_server_must_be_https_outside_loopback(ready: Ehr) -> None:
    body = request_for(ready)
    body["fhirServer"] = "http://ehr.example.org/fhir"
    outcome(ready.call(DISCHARGE, body), 400)


@pytest.mark.parametrize("change", [
    {"token_type": "MAC"}, {"expires_in": "300"}, {"access_token": ""}, {"scope": None},
])
def test_c4_fhir_authorization_shape(ready: Ehr, change: dict[str, Any]) -> None:
    body = request_for(ready)
    body["fhirAuthorization"].update(change)
    outcome(ready.call(DISCHARGE, body), 400)


@pytest.mark.parametrize("service_id,drop", [
    (DISCHARGE, "encounterId"), (DISCHARGE, "patientId"), (DISCHARGE, "userId"),
    (VIEW, "patientId"), (VIEW, "userId"),
])
def test_c5_k1_k2_required_context(ready: Ehr, service_id: str, drop: str) -> None:
    body = request_for(ready, service_id)
    del body["context"][drop]
    outcome(ready.call(service_id, body), 400)


def test_k1_discharge_user_is_a_practitioner(ready: Ehr) -> None:
    body = request_for(ready)
    body["context"]["userId"] = "Patient/x"
    outcome(ready.call(DISCHARGE, body), 400)


def test_k2_patient_view_encounter_is_optional(ready: Ehr) -> None:
    body = request_for(ready, VIEW)
    assert "encounterId" not in body["context"]
    assert ready.call(VIEW, body).status_code == 200
    body = request_for(ready, VIEW)
    body["context"]["encounterId"] = CASE.encounter_id
    assert ready.call(VIEW, body).status_code == 200


def test_c5_context_ids_must_be_fhir_ids(ready: Ehr) -> None:
    body = request_for(ready, prefetch_keys=[])
    body["context"]["patientId"] = "../Patient?_id=1"
    outcome(ready.call(DISCHARGE, body), 400)


def test_c7_extension_is_accepted_unknown_top_level_refused(ready: Ehr) -> None:
    body = request_for(ready)
    body["extension"] = {"org.example.flag": True}
    assert ready.call(DISCHARGE, body).status_code == 200
    body["unknownField"] = 1
    outcome(ready.call(DISCHARGE, body), 400)
