"""Replay protection: a `jti` is accepted once within the longest lifetime a JWT may have.

In-process by default (one worker); Redis when `CDS_REDIS_URL` is set, so that every gunicorn
worker and every machine behind the load balancer shares one memory of seen tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol


class ReplayCache(Protocol):
    def first_use(self, issuer: str, jti: str, ttl_s: int) -> bool:
        """True when (issuer, jti) was not seen before; remembers it for `ttl_s` seconds."""
        ...


class MemoryReplayCache:
    """Seen jtis with their expiry, pruned as we go."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def first_use(self, issuer: str, jti: str, ttl_s: int) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            expires = self._seen.get((issuer, jti))
            if expires is not None and expires > now:
                return False
            self._seen[(issuer, jti)] = now + ttl_s
            return True


class RedisReplayCache:
    """SET NX EX: atomic across workers; the key expires by itself."""

    def __init__(self, client: Any, prefix: str = "cds:jti:") -> None:
        self._client = client
        self._prefix = prefix

    def first_use(self, issuer: str, jti: str, ttl_s: int) -> bool:
        key = f"{self._prefix}{issuer}|{jti}"
        return bool(self._client.set(key, b"1", nx=True, ex=max(ttl_s, 1)))

    def ping(self) -> bool:
        return bool(self._client.ping())


def create_replay_cache(redis_url: str | None) -> ReplayCache:
    if not redis_url:
        return MemoryReplayCache()
    import redis

    return RedisReplayCache(redis.Redis.from_url(redis_url, socket_timeout=1.0))
