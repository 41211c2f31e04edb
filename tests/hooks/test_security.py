"""Checklist H (JWT), B9: every call carries a valid JWT from a trusted issuer, else 401."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import pytest
import requests
from joserfc.jwk import ECKey

from cds.app import create_app
from cds.config import Settings
from cds.security import JwksCache, JwksUnavailable

from .conftest import ISSUER_FILE, ISSUER_URL
from .ehr import KeyPair, Signer, hmac_token, unsigned_token
from .live import Ehr, LiveService

DISCOVERY = "/cds-services"


def _get(service: LiveService, token: str | None, path: str = DISCOVERY) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(service.base + path, headers=headers, timeout=5)


def _assert_401_without_detail(response: requests.Response) -> None:
    assert response.status_code == 401
    issue = response.json()["issue"][0]
    assert "diagnostics" not in issue  # H11: no detail


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
@pytest.mark.parametrize("issuer", [ISSUER_URL, ISSUER_FILE])
def test_h10_es384_and_rs384_from_url_and_file_jwks(
    service: LiveService, keys: KeyPair, file_keys: KeyPair, alg: str, issuer: str
) -> None:
    """H8/H10: ES384 and RS384 verify against the issuer's JWKS (URL or file), key by kid."""
    signer = Signer(issuer, keys if issuer == ISSUER_URL else file_keys)
    assert _get(service, signer.token(service.base + DISCOVERY, alg=alg)).status_code == 200


def test_h3_b9_every_endpoint_needs_a_jwt(service: LiveService) -> None:
    """H3/B9: discovery, service and feedback calls without a JWT get 401."""
    assert _get(service, None).status_code == 401
    for path in ("/cds-services/pfd-risk-discharge", "/cds-services/pfd-risk-discharge/feedback"):
        response = requests.post(service.base + path, json={}, timeout=5)
        _assert_401_without_detail(response)


def _bad_tokens(service: LiveService, signer: Signer, keys: KeyPair) -> dict[str, str]:
    aud = service.base + DISCOVERY
    other = KeyPair("ehr")  # same kids, different keys: a forgery
    now = int(time.time())
    return {
        "forged": Signer(ISSUER_URL, other).token(aud),
        "expired": signer.token(aud, iat=now - 900, exp=now - 600),
        "wrong-audience": signer.token(service.base + "/cds-services/pfd-risk-discharge"),
        "alg-none": unsigned_token(ISSUER_URL, aud),
        "hmac": hmac_token(ISSUER_URL, aud, b"a-shared-secret-of-32-bytes-long"),
        "unknown-issuer": Signer("https://evil.test", keys).token(aud),
        "not-yet-valid": signer.token(aud, nbf=now + 600),
        "issued-in-future": signer.token(aud, iat=now + 600, exp=now + 900),
        "no-jti": signer.token(aud, jti=None),
        "no-exp": signer.token(aud, exp=None),
        "too-long-lived": signer.token(aud, exp=now + 7200),
        "unknown-kid": signer.token(aud, key=ECKey.generate_key("P-384", parameters={"kid": "x"})),
        "jku-not-allowlisted": signer.token(aud, header={"jku": "https://evil.test/jwks"}),
        "garbage": "not.a.jwt",
        "wrong-typ": signer.token(aud, header={"typ": "at+jwt"}),
    }


@pytest.mark.parametrize("case", [
    "forged", "expired", "wrong-audience", "alg-none", "hmac", "unknown-issuer", "not-yet-valid",
    "issued-in-future", "no-jti", "no-exp", "too-long-lived", "unknown-kid", "jku-not-allowlisted",
    "garbage", "wrong-typ",
])
def test_h6_h9_h11_bad_tokens_get_401_without_detail(
    service: LiveService, signer: Signer, keys: KeyPair, case: str
) -> None:
    """H6 (aud), H9 (none/HMAC refused), H11 (iss, exp, signature, jti): 401, no detail."""
    _assert_401_without_detail(_get(service, _bad_tokens(service, signer, keys)[case]))


def test_h11_replayed_token_gets_401(service: LiveService, signer: Signer) -> None:
    """H11: a jti is accepted once."""
    token = signer.token(service.base + DISCOVERY)
    assert _get(service, token).status_code == 200
    _assert_401_without_detail(_get(service, token))


def test_h5_h12_aud_array_extra_claims_and_small_skew(service: LiveService, signer: Signer) -> None:
    """H5: aud may be an array; H12: unknown claims (sub, tenant) and nbf a bit ahead are fine."""
    now = int(time.time())
    aud = [service.base + DISCOVERY, "https://other.test"]
    token = signer.token(aud, sub="client-1", tenant="t1", nbf=now + 20)
    assert _get(service, token).status_code == 200


def test_h6_audience_is_the_endpoint_invoked(ehr: Ehr) -> None:
    """H6: service and feedback calls need their own URL as aud."""
    path = "/cds-services/pfd-risk-patient-view/feedback"
    token = ehr.signer.token(ehr.url("/cds-services/pfd-risk-patient-view"))
    response = ehr.http.post(ehr.url(path), json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert ehr.post(path, {}).status_code == 400  # right aud: passes auth, then fails validation


def test_h13_jwks_is_fetched_once_and_cached(make_service: Any, jwks_server: Any,
                                            keys: KeyPair) -> None:
    """H13: the JWKS is fetched once and cached across calls."""
    service = make_service()
    signer = Signer(ISSUER_URL, keys)
    before = jwks_server.hits
    for _ in range(3):
        assert _get(service, signer.token(service.base + DISCOVERY)).status_code == 200
    assert jwks_server.hits - before == 1


def test_h13_rotation_refreshes_once_and_expiry_refetches(jwks_server: Any, keys: KeyPair) -> None:
    """H13: an unknown kid refreshes the set (rate-limited); a stale set is fetched again."""
    now = [0.0]
    cache = JwksCache({ISSUER_URL: jwks_server.url}, ttl_s=300, clock=lambda: now[0])
    before = jwks_server.hits
    assert cache.get(ISSUER_URL, "ehr-es384")
    rotated = KeyPair("rotated")
    jwks_server.jwks = {"keys": keys.jwks()["keys"] + rotated.jwks()["keys"]}
    try:
        cache.get(ISSUER_URL, "rotated-es384")  # within the rate limit: no refetch
        assert jwks_server.hits - before == 1
        now[0] += 30
        found = cache.get(ISSUER_URL, "rotated-es384")
        assert any(k.kid == "rotated-es384" for k in found)
        assert jwks_server.hits - before == 2
        now[0] += 301
        cache.get(ISSUER_URL, "ehr-es384")
        assert jwks_server.hits - before == 3
    finally:
        jwks_server.jwks = keys.jwks()
    with pytest.raises(JwksUnavailable):
        JwksCache({}).get(ISSUER_URL, None)


def test_h_rejections_are_counted_by_reason(service: LiveService, signer: Signer) -> None:
    """Metrics: JWT rejections by reason."""
    _get(service, unsigned_token(ISSUER_URL, service.base + DISCOVERY))
    text = requests.get(service.base + "/metrics", timeout=5).text
    assert 'cds_jwt_rejections_total{reason="algorithm"} 1.0' in text


def test_auth_disabled_only_explicitly_and_loudly(
    base_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Switching the check off needs CDS_AUTH_DISABLED=true and is logged as a warning."""
    with caplog.at_level(logging.WARNING, logger="cds"):
        app = create_app(replace(base_settings, auth_disabled=True))
    assert any("AUTHENTICATION IS DISABLED" in r.getMessage() for r in caplog.records)
    assert app.test_client().get(DISCOVERY).status_code == 200
    assert Settings.from_env({"CDS_AUTH_DISABLED": "true"}).auth_disabled
    assert not Settings.from_env({}).auth_disabled
    state = app.extensions["cds.hooks"]
    state.executor.shutdown()
    state.session.close()
