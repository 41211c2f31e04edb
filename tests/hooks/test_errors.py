"""Bad input gets 4xx with an OperationOutcome, never a 500 or a traceback (E8); the catch-all
turns a real bug into a bare 500 OperationOutcome; junk posted at random never reaches it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.app import create_app
from cds.config import Settings

from .live import Ehr, LiveService

SERVICE = "/cds-services/pfd-risk-discharge"


def _outcome(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"]
    assert "Traceback" not in response.text


def _raw(ehr: Ehr, path: str, data: bytes, content_type: str = "application/json") -> Any:
    return ehr.http.post(ehr.url(path), data=data,
                         headers=ehr.headers(path, **{"Content-Type": content_type}))


def _valid_body() -> dict[str, Any]:
    return {"hook": "encounter-discharge", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/1", "patientId": "p1", "encounterId": "e1"}}


def test_e8_malformed_json_is_400(ehr: Ehr) -> None:
    _outcome(_raw(ehr, SERVICE, b'{"hook": '), 400)
    _outcome(_raw(ehr, SERVICE, b"[" * 5000), 400)
    _outcome(_raw(ehr, SERVICE, b"\xff\xfe"), 400)


def test_e8_wrong_content_type_is_415(ehr: Ehr) -> None:
    _outcome(_raw(ehr, SERVICE, b"{}", "text/plain"), 415)
    _outcome(_raw(ehr, SERVICE + "/feedback", b"{}", "application/x-www-form-urlencoded"), 415)


def test_e8_body_over_the_limit_is_413(make_service: Any, signer: Any) -> None:
    live = make_service(max_body_bytes=2000)
    client = Ehr(live, signer)
    try:
        body = _valid_body() | {"extension": {"pad": "x" * 5000}}
        response = client.call("pfd-risk-discharge", body)
        _outcome(response, 413)
    finally:
        client.close()


def test_e8_unknown_service_is_404_and_wrong_method_405(ehr: Ehr) -> None:
    _outcome(ehr.call("no-such-service", _valid_body()), 404)
    path = SERVICE
    response = ehr.http.get(ehr.url(path), headers=ehr.headers(path))
    _outcome(response, 405)


@pytest.mark.parametrize("body", [
    [], "text", 1, None, {"hook": "encounter-discharge"},
    {**_valid_body(), "context": "Patient/1"},
    {**_valid_body(), "prefetch": ["a"]},
    {**_valid_body(), "prefetch": {"patient": {"resourceType": 5}}},
    {**_valid_body(), "prefetch": {"patient": {"no": "resourceType"}}},
    {**_valid_body(), "prefetch": {"conditions": {"resourceType": "Bundle", "type": "document"}}},
    {**_valid_body(), "fhirServer": "ftp://x/fhir"},
    {**_valid_body(), "fhirServer": "not a url"},
])
def test_e8_nonsense_bodies_are_4xx(ehr: Ehr, body: Any) -> None:
    response = ehr.call("pfd-risk-discharge", body)
    assert 400 <= response.status_code < 500, response.text
    _outcome(response, response.status_code)


def test_catch_all_is_a_bare_500_operation_outcome(base_settings: Settings) -> None:
    app = create_app(replace(base_settings, auth_disabled=True))

    def boom() -> str:
        raise RuntimeError("secret patient detail")

    app.add_url_rule("/boom", view_func=boom)
    live = LiveService(app)
    try:
        response = requests.get(live.base + "/boom", timeout=5)
        _outcome(response, 500)
        assert "secret" not in response.text and "RuntimeError" not in response.text
    finally:
        live.close()


@pytest.fixture(scope="module")
def open_service(base_settings: Settings) -> Iterator[LiveService]:
    live = LiveService(create_app(replace(base_settings, auth_disabled=True)))
    yield live
    live.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=20,
)
FIELDS = st.fixed_dictionaries({}, optional={
    "hook": st.sampled_from(["encounter-discharge", "patient-view"]) | st.text(max_size=5),
    "hookInstance": st.just(str(uuid.uuid4())) | st.text(max_size=5),
    "context": st.fixed_dictionaries({}, optional={
        "userId": st.sampled_from(["Practitioner/1", "x"]) | JSON,
        "patientId": st.sampled_from(["p1", "../x"]) | JSON,
        "encounterId": st.sampled_from(["e1"]) | JSON}) | JSON,
    "prefetch": st.dictionaries(st.sampled_from(["patient", "encounter", "conditions", "x"]),
                                JSON | st.just({"resourceType": "Bundle", "type": "searchset"})),
    "fhirServer": st.sampled_from(["http://127.0.0.1:9/fhir", "https://127.0.0.1:9/fhir"]) | JSON,
    "fhirAuthorization": JSON,
    "feedback": JSON,
    "extension": JSON,
})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=FIELDS | JSON, path=st.sampled_from([SERVICE, SERVICE + "/feedback",
                                                 "/cds-services/pfd-risk-patient-view"]))
def test_fuzz_junk_never_gets_500(open_service: LiveService, body: Any, path: str) -> None:
    response = requests.post(open_service.base + path, json=body, timeout=10)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=200),
       content_type=st.sampled_from(["application/json", "application/fhir+json", "text/plain"]))
def test_fuzz_raw_bytes_never_get_500(open_service: LiveService, data: bytes,
                                      content_type: str) -> None:
    response = requests.post(open_service.base + SERVICE, data=data, timeout=10,
                             headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text


def test_fuzz_never_reached_the_catch_all(open_service: LiveService) -> None:
    text = requests.get(open_service.base + "/metrics", timeout=5).text
    assert "cds_unexpected_errors_total 0.0" in text
