"""E1/L2: full, partial and no prefetch give the same cards, for every Synthea bundle and every
hand-made rule case, on both hooks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from cds.app import create_app
from cds.config import Settings

from .cases import Case, rule_cases, synthea_cases
from .conftest import ISSUER_URL, set_clock
from .ehr import KeyPair, Signer
from .fhir_server import FhirServer
from .live import Ehr, LiveService
from .walker import assert_no_empties

CASES = synthea_cases() + rule_cases()


@pytest.fixture(scope="module")
def shared_ehr(base_settings: Settings, keys: KeyPair) -> Iterator[Ehr]:
    """One service and FHIR server for the whole module: only the data and clock change."""
    live = LiveService(create_app(replace(base_settings)))
    fhir = FhirServer()
    client = Ehr(live, Signer(ISSUER_URL, keys), fhir)
    yield client
    client.close()
    fhir.close()
    live.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("service_id", ["pfd-risk-discharge", "pfd-risk-patient-view"])
def test_e1_l2_same_cards_with_full_partial_and_no_prefetch(
    shared_ehr: Ehr, case: Case, service_id: str
) -> None:
    ehr, fhir = shared_ehr, shared_ehr.fhir
    assert fhir is not None
    fhir.load(case.bundle)
    set_clock(ehr.service, case.now)
    service = ehr.services()[service_id]
    ctx = case.context(service["hook"])
    keys = sorted(service["prefetch"])
    answers: dict[str, Any] = {}
    variants = {
        "full": None,
        "partial-even": keys[::2],
        "partial-odd": keys[1::2],
        "none": [],
    }
    for name, prefetch_keys in variants.items():
        response = ehr.call(service_id, ehr.request(service, ctx, prefetch_keys=prefetch_keys))
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.json()
        assert_no_empties(answers[name])
    assert answers["partial-even"] == answers["full"]
    assert answers["partial-odd"] == answers["full"]
    assert answers["none"] == answers["full"]


def test_cases_were_collected() -> None:
    """Guard against an empty parametrisation hiding the whole suite."""
    assert len(synthea_cases()) >= 8
    assert rule_cases()
