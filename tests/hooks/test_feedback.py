"""Checklist G: feedback validated, stored per card uuid, idempotent, 200."""

from __future__ import annotations

from typing import Any

import pytest

from cds.hooks.store_seam import InProcessStore

from .live import Ehr

PATH = "/cds-services/pfd-risk-discharge/feedback"


@pytest.fixture
def store(ehr: Ehr) -> InProcessStore:
    memory = InProcessStore()
    ehr.service.app.extensions["cds.hooks"].store = memory
    return memory


def _overridden(card: str = "0b2b8f2a-0d2f-5c1a-9d0a-3c3f1d5e6a7b") -> dict[str, Any]:
    # G6: the sandbox sends a reason without display and a timestamp with milliseconds.
    return {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T14:21:58.946Z",
            "overrideReason": {"reason": {"code": "patient-declines",
                                          "system": "urn:bodem-cds:CodeSystem:override-reason"},
                               "userComment": "wil eerst zelf oefenen"}}


def _accepted(card: str = "1b2b8f2a-0d2f-5c1a-9d0a-3c3f1d5e6a7b") -> dict[str, Any]:
    return {"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T14:20:00Z",
            "acceptedSuggestions": [{"id": "sugg-1"}]}


def test_g2_g3_g5_feedback_is_stored_and_answered_200(ehr: Ehr, store: InProcessStore) -> None:
    response = ehr.post(PATH, {"feedback": [_overridden(), _accepted()]})
    assert response.status_code == 200
    assert response.content == b""
    items = sorted(store.feedback.values(), key=lambda i: i["outcome"])
    assert items[0]["outcome"] == "accepted"
    assert items[0]["accepted_suggestions"] == ["sugg-1"]
    assert items[0]["service_id"] == "pfd-risk-discharge"
    assert items[1]["override_reason"]["reason"]["code"] == "patient-declines"
    assert items[1]["card_uuid"] == _overridden()["card"]
    assert items[1]["outcome_timestamp"].utcoffset().total_seconds() == 0


def test_g4_repeats_are_harmless(ehr: Ehr, store: InProcessStore) -> None:
    for _ in range(3):
        assert ehr.post(PATH, {"feedback": [_overridden()]}).status_code == 200
    assert len(store.feedback) == 1


@pytest.mark.parametrize("body", [
    {},
    {"feedback": []},
    {"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "2026-11-24T14:20:00Z"}]},
    {"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": "2026-11-24T14:20:00Z"}]},
    {"feedback": [{"card": "x", "outcome": "overridden", "outcomeTimestamp": "yesterday"}]},
    {"feedback": [{"card": "x", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T14:20"}]},
    {"feedback": [{**_overridden(), "overrideReason": {"reason": {"code": "x"}}}]},
    {"feedback": "all good"},
])
def test_g3_invalid_feedback_is_400(ehr: Ehr, store: InProcessStore, body: Any) -> None:
    response = ehr.post(PATH, body)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not store.feedback


def test_g_unknown_service_is_404(ehr: Ehr) -> None:
    response = ehr.post("/cds-services/nope/feedback", {"feedback": [_accepted()]})
    assert response.status_code == 404


def test_g_store_failure_is_503_so_the_ehr_retries(ehr: Ehr) -> None:
    class Down:
        def record_feedback(self, **_: Any) -> None:
            raise ConnectionError("db down")

    ehr.service.app.extensions["cds.hooks"].store = Down()
    response = ehr.post(PATH, {"feedback": [_accepted()]})
    assert response.status_code == 503
    assert "db down" not in response.text
