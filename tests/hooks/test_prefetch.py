"""Checklist E (prefetch, FHIR fallback, 412), L, the evaluation moment and the outbox."""

from __future__ import annotations

import time
import uuid
from typing import Any

from .cases import Case
from .common import CASE, DISCHARGE, VIEW, outcome, request_for
from .conftest import set_clock
from .fhir_server import FhirServer
from .live import Ehr


def test_e2_e3_missing_keys_fetched_with_bearer_token(ready: Ehr, fhir: FhirServer) -> None:
    body = request_for(ready, prefetch_keys=["patient"])
    fhir.requests.clear()
    assert ready.call(DISCHARGE, body).status_code == 200
    paths = [p for p, _ in fhir.requests]
    assert any(p.startswith("/fhir/Encounter/") for p in paths)
    assert not any(p.startswith("/fhir/Patient/") for p in paths)
    assert all(auth == f"Bearer {fhir.token}" for _, auth in fhir.requests)


def test_e3_open_fhir_server_without_authorization(ready: Ehr) -> None:
    """E3: fhirServer without fhirAuthorization (as the sandbox sends): fetch without a token."""
    open_server = FhirServer(token=None)
    try:
        open_server.load(CASE.bundle)
        body = request_for(ready, prefetch_keys=[])
        del body["fhirAuthorization"]
        body["fhirServer"] = open_server.base
        assert ready.call(DISCHARGE, body).status_code == 200
        assert open_server.requests and all(auth is None for _, auth in open_server.requests)
    finally:
        open_server.close()


def test_e4_operation_outcome_prefetch_is_fetched(ready: Ehr, fhir: FhirServer) -> None:
    body = request_for(ready)
    body["prefetch"]["patient"] = {"resourceType": "OperationOutcome",
                                   "issue": [{"severity": "error", "code": "forbidden"}]}
    fhir.requests.clear()
    assert ready.call(DISCHARGE, body).status_code == 200
    assert [p for p, _ in fhir.requests] == [f"/fhir/Patient/{CASE.patient_id}"]


def test_e5_null_prefetch_means_absent_not_fetched(ready: Ehr, fhir: FhirServer) -> None:
    body = request_for(ready)
    for key in body["prefetch"]:
        if key != "patient":
            body["prefetch"][key] = None
    fhir.requests.clear()
    response = ready.call(DISCHARGE, body)
    assert response.status_code == 200
    assert fhir.requests == []


def test_e6_paged_prefetch_bundles_are_followed(ready: Ehr, fhir: FhirServer) -> None:
    fhir.page_size = 5
    full = ready.call(DISCHARGE, request_for(ready)).json()
    fhir.requests.clear()
    paged = request_for(ready, follow_pages=False)
    assert any("next" in str(v.get("link")) for v in paged["prefetch"].values() if v)
    assert ready.call(DISCHARGE, paged).json() == full
    assert any("_offset=" in p for p, _ in fhir.requests)


def test_e7_no_prefetch_and_no_fhir_server_is_412(ready: Ehr) -> None:
    body = request_for(ready, prefetch_keys=[], fhir=False)
    outcome(ready.call(DISCHARGE, body), 412)


def test_e7_fhir_server_refusing_the_token_is_412(ready: Ehr, fhir: FhirServer) -> None:
    body = request_for(ready, prefetch_keys=[])
    body["fhirAuthorization"]["access_token"] = "wrong-token"
    outcome(ready.call(DISCHARGE, body), 412)
    fhir.fail_status = 500
    outcome(ready.call(DISCHARGE, request_for(ready, prefetch_keys=[])), 412)


def test_e9_slow_fhir_server_is_cut_off_by_the_budget(make_service: Any, signer: Any,
                                                      fhir: FhirServer) -> None:
    live = make_service(fhir_budget_s=0.5)
    fhir.load(CASE.bundle)
    client = Ehr(live, signer, fhir)
    try:
        body = client.request(client.services()[DISCHARGE], CASE.context("encounter-discharge"),
                              prefetch_keys=[])
        fhir.delay_s = 2.0
        started = time.monotonic()
        outcome(client.call(DISCHARGE, body), 412)
        assert time.monotonic() - started < 1.5
        metrics = client.http.get(live.base + "/metrics").text
        assert 'cds_fhir_fallback_failures_total{reason="timeout",service="pfd-risk-discharge"}' \
            in metrics
    finally:
        fhir.delay_s = 0
        client.close()


def test_e_prefetch_of_another_patient_is_refused(ready: Ehr) -> None:
    body = request_for(ready)
    body["prefetch"]["patient"] = {**body["prefetch"]["patient"], "id": "someone-else"}
    outcome(ready.call(DISCHARGE, body), 400)


def test_e_nonsense_prefetch_is_400(ready: Ehr) -> None:
    body = request_for(ready)
    body["prefetch"]["conditions"] = {"resourceType": "Bundle", "type": "searchset",
                                      "entry": "not-a-list"}
    outcome(ready.call(DISCHARGE, body), 400)
    body["prefetch"]["conditions"] = "Condition?patient=1"
    outcome(ready.call(DISCHARGE, body), 400)


def test_l1_each_hook_instance_is_answered(ready: Ehr) -> None:
    """L1: a new hookInstance per call; repeated calls give the same answer."""
    first = request_for(ready)
    second = dict(first, hookInstance=str(uuid.uuid4()))
    assert ready.call(DISCHARGE, first).json() == ready.call(DISCHARGE, second).json()


def test_evaluation_moment_is_the_discharge(ready: Ehr, fhir: FhirServer) -> None:
    """Data recorded after the encounter's end is ignored at discharge, whatever the clock."""
    set_clock(ready.service, CASE.now.replace(year=CASE.now.year + 5))
    later = ready.call(DISCHARGE, request_for(ready)).json()
    set_clock(ready.service, CASE.now)
    assert later == ready.call(DISCHARGE, request_for(ready)).json()


def test_store_failure_does_not_fail_the_hook(ready: Ehr) -> None:
    class Broken:
        def record_discharge(self, **_: Any) -> None:
            raise RuntimeError("database down")

    ready.service.app.extensions["cds.hooks"].store = Broken()
    assert ready.call(DISCHARGE, request_for(ready)).status_code == 200
    metrics = ready.http.get(ready.service.base + "/metrics").text
    assert 'cds_store_failures_total{operation="record_discharge"} 1.0' in metrics


def test_discharge_is_recorded_for_follow_ups(ready: Ehr) -> None:
    calls: list[dict[str, Any]] = []

    class Recorder:
        def record_discharge(self, **kw: Any) -> None:
            calls.append(kw)

    ready.service.app.extensions["cds.hooks"].store = Recorder()
    body = request_for(ready)
    cards = ready.call(DISCHARGE, body).json()["cards"]
    assert len(calls) == 1
    call = calls[0]
    assert call["hook_instance"] == body["hookInstance"]
    assert (call["patient_id"], call["encounter_id"]) == (CASE.patient_id, CASE.encounter_id)
    assert call["card_uuids"] == [c["uuid"] for c in cards]
    assert call["discharge_at"] <= CASE.now
    ready.call(VIEW, request_for(ready, VIEW))
    assert len(calls) == 1  # patient-view plans no follow-ups


def test_case_is_meaningful() -> None:
    """Guard: the fixture used here is a real discharge (not a silent empty case)."""
    assert isinstance(CASE, Case) and CASE.encounter_id
