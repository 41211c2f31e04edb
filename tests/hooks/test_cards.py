"""Checklist F (response and cards), A2/A3 on every answer, language, stable uuids."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from .cases import synthea_cases
from .conftest import set_clock
from .fhir_server import FhirServer
from .live import Ehr
from .walker import assert_no_empties

DISCHARGE = "pfd-risk-discharge"
VIEW = "pfd-risk-patient-view"
CASE = next(c for c in synthea_cases() if c.name == "1071287-bundle.json")
MODELS = {"ServiceRequest": ServiceRequest, "CommunicationRequest": CommunicationRequest}


@pytest.fixture
def answer(ehr: Ehr, fhir: FhirServer) -> dict[str, Any]:
    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now)
    service = ehr.services()[DISCHARGE]
    response = ehr.call(DISCHARGE, ehr.request(service, CASE.context(service["hook"])))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def test_f1_f2_a2_response_shape(answer: dict[str, Any]) -> None:
    assert isinstance(answer["cards"], list) and answer["cards"]
    assert set(answer) <= {"cards", "systemActions"}
    assert_no_empties(answer)


def test_f_at_most_one_risk_and_one_education_card(answer: dict[str, Any]) -> None:
    indicators = [c["indicator"] for c in answer["cards"]]
    assert indicators.count("warning") <= 1 and indicators.count("info") <= 1
    assert "warning" in indicators  # this patient has risk factors (R6, R9)


def test_f3_f4_f6_f7_card_fields(answer: dict[str, Any]) -> None:
    for card in answer["cards"]:
        assert isinstance(card["uuid"], str)
        assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
        assert card["indicator"] in {"info", "warning", "critical"}
        source = card["source"]
        assert source["label"]
        assert source["url"].startswith(("http://", "https://"))
        assert source["topic"]["code"] and source["topic"]["system"]


def test_f8_f9_f10_f11_suggestions_with_valid_fhir_r4_actions(answer: dict[str, Any]) -> None:
    resources = []
    for card in answer["cards"]:
        assert card["selectionBehavior"] in {"at-most-one", "any"}
        recommended = [s for s in card["suggestions"] if s.get("isRecommended")]
        if card["selectionBehavior"] == "at-most-one":
            assert len(recommended) <= 1
        for suggestion in card["suggestions"]:
            assert suggestion["label"] and suggestion["uuid"]
            for action in suggestion.get("actions", []):
                assert action["type"] == "create" and action["description"]
                resource = action["resource"]
                MODELS[resource["resourceType"]].model_validate(resource)
                resources.append(resource)
    referral = [r for r in resources if r["resourceType"] == "ServiceRequest"]
    assert referral and referral[0]["subject"]["reference"] == f"Patient/{CASE.patient_id}"
    assert "ysiother" in referral[0]["performerType"]["text"]
    leaflet = [r for r in resources if r["resourceType"] == "CommunicationRequest"]
    assert "/education?lang=" in leaflet[0]["payload"][0]["contentAttachment"]["url"]


def test_f12_override_reasons_are_codings_with_display(answer: dict[str, Any]) -> None:
    for card in answer["cards"]:
        for reason in card["overrideReasons"]:
            assert reason["code"] and reason["system"] and reason["display"]
        displays = {r["display"] for r in card["overrideReasons"]}
        assert {"al verwezen", "patiënt wil niet"} <= displays


def test_f13_links_education_page_in_dutch_and_english(answer: dict[str, Any],
                                                       ehr: Ehr) -> None:
    for card in answer["cards"]:
        urls = {link["url"] for link in card["links"]}
        for link in card["links"]:
            assert link["label"] and link["type"] in {"absolute", "smart"}
            if link["type"] == "absolute":
                assert "appContext" not in link
        assert any(u.endswith("/education?lang=nl") for u in urls)
        assert any(u.endswith("/education?lang=en") for u in urls)
        for url in urls:
            assert ehr.http.get(url).status_code == 200


def test_f13_smart_link_only_when_configured(make_service: Any, signer: Any,
                                             fhir: FhirServer) -> None:
    live = make_service(smart_app_url="https://app.test/launch")
    fhir.load(CASE.bundle)
    set_clock(live, CASE.now)
    client = Ehr(live, signer, fhir)
    try:
        service = client.services()[DISCHARGE]
        cards = client.call(DISCHARGE, client.request(service, CASE.context(service["hook"])))
        smart = [lk for c in cards.json()["cards"] for lk in c["links"] if lk["type"] == "smart"]
        assert smart and smart[0]["url"] == "https://app.test/launch"
    finally:
        client.close()


def test_f3_uuid_stable_for_patient_encounter_and_knowledge(ehr: Ehr, fhir: FhirServer) -> None:
    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now)
    service = ehr.services()[DISCHARGE]
    ctx = CASE.context(service["hook"])
    first = ehr.call(DISCHARGE, ehr.request(service, ctx)).json()["cards"]
    again = ehr.call(DISCHARGE, ehr.request(service, ctx)).json()["cards"]
    assert [c["uuid"] for c in first] == [c["uuid"] for c in again]
    assert len({c["uuid"] for c in first}) == len(first)
    view = ehr.services()[VIEW]
    other = ehr.call(VIEW, ehr.request(view, CASE.context(view["hook"]))).json()["cards"]
    assert not {c["uuid"] for c in other} & {c["uuid"] for c in first}


def test_language_from_accept_language_dutch_by_default(ehr: Ehr, fhir: FhirServer) -> None:
    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now)
    service = ehr.services()[DISCHARGE]
    ctx = CASE.context(service["hook"])
    dutch = ehr.call(DISCHARGE, ehr.request(service, ctx)).json()["cards"]
    english = ehr.call(DISCHARGE, ehr.request(service, ctx),
                       **{"Accept-Language": "en-GB,en;q=0.9"}).json()["cards"]
    assert dutch[0]["summary"] != english[0]["summary"]
    labels = {r["display"] for r in english[0]["overrideReasons"]}
    assert {"already referred", "patient declines"} <= labels
    assert [c["uuid"] for c in dutch] == [c["uuid"] for c in english]


def test_f2_no_guidance_is_an_empty_card_list(ehr: Ehr, fhir: FhirServer) -> None:
    """Long after the delivery the postpartum rules do not apply: {"cards": []}."""
    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now.replace(year=CASE.now.year + 6))
    service = ehr.services()[VIEW]
    response = ehr.call(VIEW, ehr.request(service, CASE.context(service["hook"])))
    assert response.json() == {"cards": []}


def test_trigger_accepted_offers_followups_and_feedback_plans_them(make_service: Any, signer: Any,
                                                                    fhir: FhirServer, tmp_path: Any) -> None:
    """Trigger `accepted`: the discharge risk card offers to plan the follow-ups; accepting it
    (feedback) plans them in the real store, and an override would not."""
    live = make_service(followup_trigger="accepted", instance_dir=tmp_path)
    fhir.load(CASE.bundle)
    set_clock(live, CASE.now)
    client = Ehr(live, signer, fhir)
    try:
        service = client.services()[DISCHARGE]
        cards = client.call(DISCHARGE, client.request(service, CASE.context(service["hook"]))).json()["cards"]
        risk = next(c for c in cards if c["indicator"] == "warning")
        offer = [s for s in risk["suggestions"] if "actions" not in s]
        assert len(offer) == 1 and offer[0]["label"].startswith("Plan de nazorggesprekken")
        store = live.app.extensions["cds.store"]
        assert store.followups() == []  # nothing planned before the clinician accepts
        feedback = {"feedback": [{"card": risk["uuid"], "outcome": "accepted",
                                  "outcomeTimestamp": "2026-11-24T14:20:00Z",
                                  "acceptedSuggestions": [{"id": offer[0]["uuid"]}]}]}
        assert client.post(f"/cds-services/{DISCHARGE}/feedback", feedback).status_code == 200
        assert len(store.followups()) == 3
        view = client.services()[VIEW]
        other = client.call(VIEW, client.request(view, CASE.context(view["hook"]))).json()["cards"]
        assert all("actions" in s for c in other for s in c["suggestions"])  # only at discharge
    finally:
        client.close()
