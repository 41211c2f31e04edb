"""Operational endpoints: liveness, readiness, metrics, the OpenAPI document, the education page.

None of them carries patient data, so none needs the EHR's JWT.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request

from cds.errors import InputError
from cds.hooks import education
from cds.hooks.openapi import document
from cds.hooks.state import state
from cds.security import JwtVerifier

log = logging.getLogger("cds.hooks")
ops = Blueprint("cds_ops", __name__)
# Other blueprints may put {path: OpenAPI path item} here to appear in /openapi.json.
OPENAPI_PATHS = "cds.openapi.paths"


@ops.get("/healthz")
def healthz() -> Response:
    return _json({"status": "ok"}, 200)


@ops.get("/readyz")
def readyz() -> Response:
    s = state()
    checks: dict[str, str] = {"knowledge": s.kb.version}
    ready = True
    for name, target in (("store", s.store), ("replay-cache", _replay(s.verifier))):
        probe = getattr(target, "ping", None)
        if probe is None:
            continue
        try:
            ok = bool(probe())
        except Exception as exc:
            log.warning("readiness check %s failed: %s", name, type(exc).__name__)
            ok = False
        checks[name] = "ok" if ok else "unavailable"
        ready = ready and ok
    return _json({"status": "ready" if ready else "not-ready", "checks": checks},
                 200 if ready else 503)


@ops.get("/metrics")
def metrics() -> Response:
    return state().metrics.exposition()


@ops.get("/openapi.json")
def openapi() -> Response:
    s = state()
    extra = current_app.extensions.get(OPENAPI_PATHS)
    return _json(document(s.services, s.kb.version, extra), 200)


@ops.get("/education")
def education_page() -> Response:
    s = state()
    lang = request.args.get("lang")
    if lang is None:
        lang = request.accept_languages.best_match(["nl", "en"]) or s.settings.default_lang
    if lang not in ("nl", "en"):
        raise InputError("lang must be nl or en")
    return education.render(s.kb, lang)


def _replay(verifier: JwtVerifier | None) -> Any:
    return verifier.replay if verifier is not None else None


def _json(doc: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(doc), status=status, mimetype="application/json")
