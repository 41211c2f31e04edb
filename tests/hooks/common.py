"""What several conformance test modules share: the services, one risky Synthea case, and the
OperationOutcome check."""

from __future__ import annotations

from typing import Any

from .cases import synthea_cases
from .live import Ehr

DISCHARGE = "pfd-risk-discharge"
VIEW = "pfd-risk-patient-view"
CASE = next(c for c in synthea_cases() if c.name == "1071287-bundle.json")


def request_for(ehr: Ehr, service_id: str = DISCHARGE, **kwargs: Any) -> dict[str, Any]:
    service = ehr.services()[service_id]
    return ehr.request(service, CASE.context(service["hook"]), **kwargs)


def outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Traceback" not in response.text
    return body
