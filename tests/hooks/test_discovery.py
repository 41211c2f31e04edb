"""Checklist B (discovery) and D (prefetch templates)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from cds.knowledge import Knowledge

from .live import Ehr
from .walker import assert_no_empties

TOKEN = re.compile(r"\{\{(.*?)\}\}")
ALLOWED_TOKENS = {"userPractitionerId", "userPractitionerRoleId", "userPatientId",
                  "userRelatedPersonId"}
CONTEXT = {"encounter-discharge": {"userId", "patientId", "encounterId"},
           "patient-view": {"userId", "patientId", "encounterId"}}


def test_b1_b2_discovery_is_json_object_with_services(ehr: Ehr) -> None:
    """B1/B2/B6: GET /cds-services answers 200 application/json {"services": [...]}."""
    response = ehr.discovery()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["services"], list) and body["services"]
    assert_no_empties(body)  # A2/A3


def test_b3_b4_b7_services_have_distinct_ids_hook_title_description(ehr: Ehr) -> None:
    """B3/B4/B7: one service per hook, distinct ids, all required strings present."""
    services = ehr.services()
    assert {s["hook"] for s in services.values()} == {"encounter-discharge", "patient-view"}
    assert services["pfd-risk-discharge"]["hook"] == "encounter-discharge"
    assert services["pfd-risk-patient-view"]["hook"] == "patient-view"
    for service in services.values():
        for key in ("id", "hook", "description", "title"):
            assert isinstance(service[key], str) and service[key]


def test_b3_every_listed_id_has_a_post_endpoint(ehr: Ehr) -> None:
    """B3: POST {base}/cds-services/{id} exists for every id (400 on an empty body, not 404)."""
    for service_id in ehr.services():
        assert ehr.call(service_id, {}).status_code == 400


def test_b5_d1_d2_templates_use_only_2_0_tokens(ehr: Ehr) -> None:
    """B5/D1/D2: prefetch values are strings whose tokens are root-level context fields."""
    for service in ehr.services().values():
        for template in service["prefetch"].values():
            assert isinstance(template, str)
            for token in TOKEN.findall(template):
                name = token.strip()
                assert name in ALLOWED_TOKENS or (
                    name.startswith("context.") and name[8:] in CONTEXT[service["hook"]]
                ), template


def test_d3_d5_templates_are_valid_fhir_searches(ehr: Ehr) -> None:
    """D3/D5: instance reads or type searches with patient, token, _sort=-date, _count only."""
    for service in ehr.services().values():
        for template in service["prefetch"].values():
            parts = urlsplit(template)
            assert re.fullmatch(r"[A-Z][A-Za-z]+(/\{\{context\.\w+\}\})?", parts.path), template
            for name, value in parse_qsl(parts.query):
                assert name in {"patient", "code", "_sort", "_count"}, template
                if name == "_sort":
                    assert value == "-date"
                if name == "code":
                    assert all(re.fullmatch(r"[^|,\s]+\|[^|,\s]+", t) for t in value.split(","))


def test_d4_templates_cover_what_the_rules_read(ehr: Ehr, kb: Knowledge) -> None:
    """D4: each resource type and code the rules read has a prefetch key."""
    services = ehr.services()
    discharge = services["pfd-risk-discharge"]["prefetch"]
    assert discharge["patient"] == "Patient/{{context.patientId}}"
    assert discharge["encounter"] == "Encounter/{{context.encounterId}}"
    assert "encounter" not in services["pfd-risk-patient-view"]["prefetch"]
    for service in services.values():
        templates = service["prefetch"].values()
        for rtype, codes in kb.reads.items():
            matching = [t for t in templates if t.startswith(rtype)]
            assert matching, rtype
            for system, code in codes:
                query = next(t for t in matching if "?" in t or rtype == "Patient")
                if "code=" in query:
                    assert f"{system}|{code}" in query
