"""OpenAPI 3 description of every endpoint, served at /openapi.json (built from the services)."""

from __future__ import annotations

from typing import Any

from cds.hooks.discovery import Service

_OO = {"$ref": "#/components/schemas/OperationOutcome"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "Bad request", 401: "Missing or invalid JWT (no detail)", 404: "Unknown service",
             412: "Required FHIR data could not be obtained", 413: "Body too large",
             415: "Content-Type is not JSON", 503: "Store or cache unavailable"}
    return {str(c): {"description": names[c],
                     "content": {"application/fhir+json": {"schema": _OO}}} for c in codes}


def document(services: dict[str, Service], version: str,
             extra_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document; `extra_paths` lets other blueprints describe their own endpoints."""
    bearer: list[dict[str, list[str]]] = [{"ehrJwt": []}]
    service_ids = sorted(services)
    id_param = {"name": "service_id", "in": "path", "required": True,
                "schema": {"type": "string", "enum": service_ids}}
    obj = {"type": "object"}
    paths: dict[str, Any] = {
        "/cds-services": {"get": {
            "summary": "CDS Hooks discovery", "security": bearer,
            "responses": {"200": _json(obj, "The services: {services: [...]}"), **_errors(401)},
        }},
        "/cds-services/{service_id}": {"post": {
            "summary": "Call a CDS service (encounter-discharge or patient-view)",
            "security": bearer, "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": obj}}},
            "responses": {"200": _json(obj, "{cards: [...]}"),
                          **_errors(400, 401, 404, 412, 413, 415, 503)},
        }},
        "/cds-services/{service_id}/feedback": {"post": {
            "summary": "Feedback on cards (accepted / overridden)", "security": bearer,
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": obj}}},
            "responses": {"200": {"description": "Stored (no body)"},
                          **_errors(400, 401, 404, 413, 415, 503)},
        }},
        "/education": {"get": {
            "summary": "Patient education page (leaflet exercises), printable",
            "parameters": [{"name": "lang", "in": "query",
                            "schema": {"type": "string", "enum": ["nl", "en"]}}],
            "responses": {"200": {"description": "HTML page",
                                  "content": {"text/html": {"schema": {"type": "string"}}}},
                          **_errors(400)},
        }},
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": _json(obj, "alive")}}},
        "/readyz": {"get": {"summary": "Readiness (rules loaded, store and cache reachable)",
                            "responses": {"200": _json(obj, "ready"),
                                          "503": _json(obj, "not ready")}}},
        "/metrics": {"get": {"summary": "Prometheus metrics",
                             "responses": {"200": {"description": "text exposition format"}}}},
        "/openapi.json": {"get": {"summary": "This document",
                                  "responses": {"200": _json(obj, "OpenAPI 3 document")}}},
    }
    paths.update(extra_paths or {})
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bodem CDS: pelvic floor decision support (CDS Hooks 2.0)",
                 "version": version},
        "paths": paths,
        "components": {
            "securitySchemes": {"ehrJwt": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
            "schemas": {"OperationOutcome": {"type": "object", "required": ["resourceType"],
                                             "properties": {"resourceType": {"type": "string"},
                                                            "issue": {"type": "array"}}}},
        },
    }
