"""The JWT gate in front of every CDS Hooks endpoint (discovery, service, feedback).

The audience is the URL invoked: CDS_PUBLIC_BASE_URL + path when set (behind a proxy the
service cannot see the URL the EHR used), else the request's own URL without query.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import g, request

from cds.security import JwtVerifier, Rejected

log = logging.getLogger("cds.security")


def audience(public_base_url: str | None) -> str:
    if public_base_url:
        return public_base_url + request.path
    return request.base_url


def check(verifier: JwtVerifier | None, public_base_url: str | None, on_reject: Callable[[str], None]) -> None:
    """Raise Rejected (401) unless the call carries a valid JWT; a no-op when auth is off."""
    if verifier is None or request.method == "OPTIONS":
        return
    try:
        token = verifier.verify(request.headers.get("Authorization"), audience(public_base_url))
    except Rejected as exc:
        log.info("jwt rejected", extra={"reason": exc.reason})
        on_reject(exc.reason)
        raise
    g.jwt_issuer, g.jwt_jti = token.issuer, token.jti
