"""Per-issuer JSON Web Key Sets, fetched from a URL or read from a file, cached and refreshed.

Keys rotate (CDS Hooks 3.0 asks clients to publish JWKS and rotate), so an unknown `kid` forces
one refresh, rate-limited so that a flood of forged kids cannot hammer the issuer's server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# Private-key members that must never appear in a published JWKS.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
_MIN_REFRESH_S = 10.0


class JwksUnavailable(Exception):
    """The key set could not be had; the caller answers 401 (reason: jwks)."""


class JwksCache:
    """Holds the key set of every trusted issuer for `ttl_s` seconds."""

    def __init__(
        self,
        sources: dict[str, str],
        *,
        ttl_s: float = 300,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        min_refresh_s: float = _MIN_REFRESH_S,
    ) -> None:
        self._sources = dict(sources)
        self._ttl_s = ttl_s
        self._session = session or requests.Session()
        self._clock = clock
        self._min_refresh_s = min_refresh_s
        self._lock = threading.Lock()
        self._cached: dict[str, tuple[float, KeySet]] = {}

    def source(self, issuer: str) -> str | None:
        return self._sources.get(issuer)

    def get(self, issuer: str, kid: str | None) -> KeySet:
        """The issuer's key set; refreshed when stale or when `kid` is not in it."""
        now = self._clock()
        with self._lock:
            entry = self._cached.get(issuer)
        if entry is not None:
            fetched_at, keys = entry
            fresh = now - fetched_at < self._ttl_s
            if fresh and (kid is None or _has_kid(keys, kid)):
                return keys
            if fresh and now - fetched_at < self._min_refresh_s:
                return keys  # unknown kid, but we refreshed a moment ago
        keys = self._load(issuer)
        with self._lock:
            self._cached[issuer] = (now, keys)
        return keys

    def _load(self, issuer: str) -> KeySet:
        source = self._sources.get(issuer)
        if source is None:
            raise JwksUnavailable("issuer not trusted")
        try:
            if source.startswith(("https://", "http://")):
                response = self._session.get(source, timeout=3)
                response.raise_for_status()
                raw: Any = orjson.loads(response.content)
            else:
                raw = orjson.loads(Path(source).read_bytes())
            return _key_set(raw)
        except (requests.RequestException, OSError, orjson.JSONDecodeError, JoseError) as exc:
            raise JwksUnavailable(type(exc).__name__) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise JwksUnavailable(type(exc).__name__) from None


def _key_set(raw: Any) -> KeySet:
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), list):
        raise ValueError("not a JWKS")
    public = [
        k
        for k in raw["keys"]
        if isinstance(k, dict) and k.get("kty") in {"RSA", "EC", "OKP"}
        and not _PRIVATE_MEMBERS & set(k)
    ]
    return KeySet.import_key_set({"keys": public})


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys)
