"""A test EHR: signs CDS Hooks JWTs with its own keys and publishes them as a JWKS.

Two issuers: one whose JWKS is served over loopback HTTP, one whose JWKS is a local file, so
both ways of configuring CDS_TRUSTED_ISSUERS are exercised. ES384 and RS384 keys each.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

ALGS = ["ES384", "RS384", "ES256", "RS256", "HS256"]


class KeyPair:
    def __init__(self, prefix: str) -> None:
        self.es384 = ECKey.generate_key("P-384", parameters={"kid": f"{prefix}-es384"})
        self.rs384 = RSAKey.generate_key(2048, parameters={"kid": f"{prefix}-rs384"})

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.es384, self.rs384]).as_dict(private=False))


class Signer:
    def __init__(self, issuer: str, keys: KeyPair) -> None:
        self.issuer = issuer
        self.keys = keys

    def token(self, aud: str | list[str], *, alg: str = "ES384", header: dict[str, Any] | None = None,
              key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": aud, "iat": now, "exp": now + 300,
                "jti": str(uuid.uuid4()), **claims}
        body = {k: v for k, v in body.items() if v is not None}
        if key is None:
            key = self.keys.es384 if alg.startswith("ES") else self.keys.rs384
        hdr = {"alg": alg, "kid": key.kid, "typ": "JWT", **(header or {})}
        return jwt.encode(hdr, body, key, algorithms=ALGS)


def unsigned_token(issuer: str, aud: str) -> str:
    """An `alg: none` token, as an attacker would send it."""
    def b64(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"iss": issuer, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'x'})}.{b64(claims)}."


def hmac_token(issuer: str, aud: str, secret: bytes) -> str:
    key = OctKey.import_key(secret, parameters={"kid": "hmac"})
    now = int(time.time())
    claims = {"iss": issuer, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return jwt.encode({"alg": "HS256", "kid": "hmac"}, claims, key, algorithms=ALGS)


class JwksServer:
    """Serves one JWKS document on loopback; counts fetches (to test caching)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                body = json.dumps(owner.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
