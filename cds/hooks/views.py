"""The CDS Hooks 2.0 endpoints: discovery, service calls and feedback (JWT on every one)."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from flask import Blueprint, Response, g, request

from cds.errors import NotFoundError
from cds.hooks import feedback as feedback_mod
from cds.hooks import service as service_mod
from cds.hooks.auth import check
from cds.hooks.body import json_body
from cds.hooks.discovery import Service
from cds.hooks.schema import load_hook_request
from cds.hooks.state import HookState, state

log = logging.getLogger("cds.hooks")
bp = Blueprint("cds_hooks", __name__, url_prefix="/cds-services")


@bp.before_request
def _authenticate() -> None:
    s = state()
    check(s.verifier, s.settings.public_base_url, s.metrics.jwt_rejected)


@bp.get("")
def discovery() -> Response:
    services = [svc.to_json() for svc in state().services.values()]
    return _json({"services": services})


@bp.post("/<service_id>")
def invoke(service_id: str) -> Response:
    s = state()
    started = time.perf_counter()
    service = _service(s, service_id)
    status = 500
    try:
        req = load_hook_request(json_body(s.settings.max_body_bytes), service.hook)
        g.hook_instance = str(req["hookInstance"])
        cards = service_mod.call(
            _call_env(s, service.id), service, req, lang=_lang(s), base_url=_base_url(s),
            smart_app_url=s.settings.smart_app_url,
        )
        status = 200
    except Exception as exc:
        status = getattr(exc, "http_status", 500)
        raise
    finally:
        s.metrics.calls.labels(service.id, str(status)).inc()
        s.metrics.latency.labels(service.id).observe(time.perf_counter() - started)
        log.info("hook call", extra={"hookInstance": g.get("hook_instance"),
                                     "service": service.id, "status": status,
                                     "ms": round((time.perf_counter() - started) * 1000, 1),
                                     "jti": g.get("jwt_jti")})
    for card in cards:
        s.metrics.cards.labels(service.id, card["indicator"]).inc()
    return _json({"cards": cards})


@bp.post("/<service_id>/feedback")
def feedback(service_id: str) -> Response:
    s = state()
    service = _service(s, service_id)
    outcomes = feedback_mod.record(s.store, service.id, json_body(s.settings.max_body_bytes))
    for outcome in outcomes:
        s.metrics.feedback.labels(service.id, outcome).inc()
    log.info("feedback stored", extra={"service": service.id, "items": len(outcomes)})
    return Response(status=200)


def _service(s: HookState, service_id: str) -> Service:
    service = s.services.get(service_id)
    if service is None:
        raise NotFoundError("no CDS service with this id")
    return service


def _call_env(s: HookState, service_id: str) -> service_mod.CallEnv:
    return service_mod.CallEnv(
        kb=s.kb, store=s.store, clock=s.clock, fhir_client=s.fhir_client(service_id),
        allow_http_fhir=s.settings.fhir_allow_http,
        on_fhir_failure=lambda reason: s.metrics.fhir_failures.labels(service_id, reason).inc(),
        on_store_failure=lambda: s.metrics.store_failures.labels("record_discharge").inc(),
        offer_followups=s.settings.followup_trigger == "accepted",
    )


def _lang(s: HookState) -> str:
    if request.accept_languages:
        best = request.accept_languages.best_match(["nl", "en"])
        if best:
            return best
    return s.settings.default_lang


def _base_url(s: HookState) -> str:
    return s.settings.public_base_url or request.host_url.rstrip("/")


def _json(doc: dict[str, Any]) -> Response:
    return Response(orjson.dumps(doc), status=200, mimetype="application/json")
