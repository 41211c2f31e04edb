"""Check the EHR's JWT on every call (CDS Hooks 2.0 section "Trusting CDS Clients").

Order follows the cds-hooks best practices: issuer allowlisted, audience is this endpoint, times,
signature from the issuer's JWKS picked by `kid`, then `jti` first use. Any failure raises
`AuthError` whose `reason` feeds a metric; the HTTP answer carries no detail and nothing of the
token is logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import JWSRegistry, extract_compact

from cds.errors import AuthError, StoreError
from cds.security.jwks import JwksCache, JwksUnavailable
from cds.security.replay import ReplayCache

# Asymmetric only: the spec forbids `none` and every HMAC algorithm (a shared secret would let
# any holder mint tokens). ES384 and RS384 are the ones the spec recommends.
ALLOWED_ALGS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_REGISTRY = JWSRegistry(algorithms=list(ALLOWED_ALGS), strict_check_header=False)


class Rejected(AuthError):
    """An AuthError with a machine-readable reason for metrics."""

    def __init__(self, reason: str) -> None:
        super().__init__("unauthorized")
        self.reason = reason


@dataclass(frozen=True)
class VerifiedToken:
    issuer: str
    jti: str
    tenant: str | None
    claims: dict[str, Any]


class JwtVerifier:
    def __init__(
        self,
        jwks: JwksCache,
        replay: ReplayCache,
        *,
        leeway_s: int = 60,
        max_age_s: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jwks = jwks
        self._replay = replay
        self._leeway = leeway_s
        self._max_age = max_age_s
        self._clock = clock

    @property
    def replay(self) -> ReplayCache:
        return self._replay

    def verify(self, authorization: str | None, audience: str) -> VerifiedToken:
        token = _bearer(authorization)
        header, claims = _peek(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
            raise Rejected("algorithm")
        typ = header.get("typ", "JWT")  # REQUIRED by the spec; tolerated when absent
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise Rejected("typ")
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or self._jwks.source(issuer) is None:
            raise Rejected("issuer")
        jku = header.get("jku")
        if jku is not None and jku != self._jwks.source(issuer):
            raise Rejected("jku")
        self._check_audience(claims.get("aud"), audience)
        self._check_times(claims)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Rejected("kid")
        try:
            keys = self._jwks.get(issuer, kid)
        except JwksUnavailable:
            raise Rejected("jwks") from None
        try:
            jwt.decode(token, keys, algorithms=list(ALLOWED_ALGS), registry=_REGISTRY)
        except (JoseError, ValueError, TypeError):
            raise Rejected("signature") from None
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise Rejected("jti")
        try:
            first = self._replay.first_use(issuer, jti, self._max_age + self._leeway)
        except Exception:  # e.g. Redis down: fail closed, but as "try again", not "forged"
            raise StoreError("replay cache unavailable") from None
        if not first:
            raise Rejected("replay")
        tenant = claims.get("tenant")
        return VerifiedToken(issuer, jti, tenant if isinstance(tenant, str) else None, claims)

    def _check_audience(self, aud: Any, expected: str) -> None:
        values = [aud] if isinstance(aud, str) else aud
        if not isinstance(values, list) or not any(_same_url(v, expected) for v in values):
            raise Rejected("audience")

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._clock()
        raw = [claims.get("exp"), claims.get("iat"), claims.get("nbf", 0)]
        if not all(_number(v) for v in raw):
            raise Rejected("claims")
        exp, iat, nbf = (float(v) for v in raw)
        if exp + self._leeway < now:
            raise Rejected("expired")
        if iat - self._leeway > now or nbf - self._leeway > now:
            raise Rejected("not-yet-valid")
        # Bounded lifetime keeps the replay memory bounded too.
        if exp - iat > self._max_age:
            raise Rejected("lifetime")


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Rejected("missing")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 16_384:
        raise Rejected("malformed")
    return token.strip()


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature check: used only to pick issuer and key."""
    if token.count(".") != 2:
        raise Rejected("malformed")
    try:
        obj = extract_compact(token.encode("ascii"), registry=_REGISTRY)
        claims = orjson.loads(obj.payload or b"")
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise Rejected("malformed") from None
    if not isinstance(claims, dict):
        raise Rejected("malformed")
    return dict(obj.headers()), claims


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_url(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.rstrip("/") == b.rstrip("/")
