"""JWT checks for every CDS Hooks call: issuer allowlist, JWKS signature, aud, times, replay."""

from __future__ import annotations

import logging

from cds.config import Settings
from cds.security.jwks import JwksCache, JwksUnavailable
from cds.security.replay import (
    MemoryReplayCache,
    RedisReplayCache,
    ReplayCache,
    create_replay_cache,
)
from cds.security.verifier import ALLOWED_ALGS, JwtVerifier, Rejected, VerifiedToken

__all__ = [
    "ALLOWED_ALGS",
    "JwksCache",
    "JwksUnavailable",
    "JwtVerifier",
    "MemoryReplayCache",
    "RedisReplayCache",
    "Rejected",
    "ReplayCache",
    "VerifiedToken",
    "create_replay_cache",
    "create_verifier",
]

log = logging.getLogger("cds.security")


def create_verifier(settings: Settings) -> JwtVerifier | None:
    """The verifier for these settings; None only when auth is switched off explicitly."""
    if settings.auth_disabled:
        log.warning(
            "AUTHENTICATION IS DISABLED (CDS_AUTH_DISABLED=true): any caller can invoke the "
            "CDS services. Use this only for a local demo, never with patient data."
        )
        return None
    if not settings.trusted_issuers:
        log.warning("CDS_TRUSTED_ISSUERS is empty: every CDS Hooks call will be refused (401)")
    return JwtVerifier(
        JwksCache(settings.trusted_issuers, ttl_s=settings.jwks_cache_s),
        create_replay_cache(settings.redis_url),
        leeway_s=settings.jwt_leeway_s,
        max_age_s=settings.jwt_max_age_s,
    )
