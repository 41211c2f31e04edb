"""C8/H11: no JWT, access token or patient data in any log line; lines are JSON keyed by
hookInstance (L1)."""

from __future__ import annotations

import json
import logging

import pytest

from cds.hooks.logs import JsonFormatter

from .cases import synthea_cases
from .conftest import set_clock
from .fhir_server import FhirServer
from .live import Ehr

CASE = next(c for c in synthea_cases() if c.name == "1071287-bundle.json")


def test_c8_no_tokens_or_patient_data_in_logs(ehr: Ehr, fhir: FhirServer,
                                              caplog: pytest.LogCaptureFixture) -> None:
    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now)
    service = ehr.services()["pfd-risk-discharge"]
    # Production level for every logger, DEBUG for ours.
    with caplog.at_level(logging.INFO), caplog.at_level(logging.DEBUG, logger="cds"):
        body = ehr.request(service, CASE.context(service["hook"]), prefetch_keys=["patient"])
        auth = ehr.headers(f"/cds-services/{service['id']}")
        ok = ehr.http.post(ehr.url(f"/cds-services/{service['id']}"), json=body, headers=auth)
        assert ok.status_code == 200
        bad = dict(body, context={**body["context"], "userId": "Patient/x"})
        ehr.call(service["id"], bad)
        ehr.http.get(ehr.url("/cds-services"), headers={"Authorization": "Bearer x.y.z"})
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    text = "\n".join(lines) + "\n".join(r.getMessage() for r in caplog.records)
    jwt = auth["Authorization"].split()[1]
    patient = body["prefetch"]["patient"]
    secrets = [jwt, jwt.split(".")[1], fhir.token or "", CASE.patient_id, CASE.encounter_id,
               patient.get("birthDate", "?"), patient["name"][0]["family"]]
    for secret in secrets:
        assert secret not in text
    records = [json.loads(line) for line in lines]
    calls = [r for r in records if r["msg"] == "hook call"]
    assert calls and calls[0]["hookInstance"] == body["hookInstance"]
    assert any(r.get("reason") == "malformed" for r in records)
