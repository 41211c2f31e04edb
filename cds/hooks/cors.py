"""CORS for browser-based CDS clients (the sandbox): preflight on discovery, service and feedback.

Allowed origins come from CDS_CORS_ORIGINS ("*" by default, as the reference services do; set
an allowlist in production). No cookies are used, so credentials are never allowed.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOW_HEADERS = "Authorization, Content-Type, Accept, Accept-Language"
ALLOW_METHODS = "GET, POST, OPTIONS"


def install_cors(app: Flask, origins: tuple[str, ...], prefix: str = "/cds-services") -> None:
    any_origin = "*" in origins

    @app.after_request
    def _cors(response: Response) -> Response:
        if not request.path.startswith(prefix):
            return response
        origin = request.headers.get("Origin")
        if origin is None:
            return response
        if any_origin:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin.rstrip("/") in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
        else:
            return response
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response
