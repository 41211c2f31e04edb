"""Errors as HTTP status + FHIR OperationOutcome, in one place.

`CdsError` subclasses carry their own status and issue code (cds.errors). Anything else is a bug:
it becomes a bare 500 OperationOutcome with no traceback and no message from the exception, so
nothing of the request (patient data) can leak through an error text.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Flask, Response, g
from werkzeug.exceptions import HTTPException

from cds.errors import AuthError, CdsError

log = logging.getLogger("cds.hooks")

_HTTP_ISSUE = {404: "not-found", 405: "not-supported", 413: "too-long", 415: "not-supported"}


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(status: int, code: str, diagnostics: str) -> Response:
    body = orjson.dumps(operation_outcome(code, diagnostics))
    return Response(body, status=status, mimetype="application/fhir+json")


def register_error_handlers(app: Flask) -> None:
    """One handler per family: our errors, werkzeug's HTTP errors, and the catch-all."""

    @app.errorhandler(CdsError)
    def _cds_error(exc: CdsError) -> Response:
        if isinstance(exc, AuthError):
            # 401 with no detail: a caller probing tokens learns nothing.
            response = outcome_response(401, exc.issue_code, "")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        log.info("request refused: %s", exc.code, extra={"status": exc.http_status})
        return outcome_response(exc.http_status, exc.issue_code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = outcome_response(status, _HTTP_ISSUE.get(status, "processing"), exc.name)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        hook_instance = getattr(g, "hook_instance", None)
        # Type name only: exception messages may quote request data.
        log.error("unexpected error %s", type(exc).__name__, extra={"hookInstance": hook_instance})
        app.extensions["cds.metrics"].unexpected_errors.inc()
        return outcome_response(500, "exception", "internal error")
