"""H11 with CDS_REDIS_URL: one replay memory shared by every worker (here: two apps)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from cds.security import MemoryReplayCache, RedisReplayCache

from .ehr import Signer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:  # never a silent skip: CI installs it (.ci/run)
        pytest.fail("redis-server is not installed: apt-get install redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_h11_replay_is_refused_across_workers(make_service: Any, signer: Signer,
                                              redis_url: str) -> None:
    """A jti used on one worker is refused on another when they share Redis."""
    # Both workers answer the same public URL, as behind a load balancer.
    public = "https://cds.test"
    first = make_service(redis_url=redis_url, public_base_url=public)
    second = make_service(redis_url=redis_url, public_base_url=public)
    path = "/cds-services"
    token = signer.token(public + path)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(first.base + path, headers=headers, timeout=5).status_code == 200
    assert requests.get(second.base + path, headers=headers, timeout=5).status_code == 401
    ready = requests.get(second.base + "/readyz", timeout=5).json()
    assert ready["checks"]["replay-cache"] == "ok"


def test_h11_replay_caches_forget_after_ttl(redis_url: str) -> None:
    """Seen jtis are kept for the maximum token lifetime, then forgotten (bounded memory)."""
    now = [1000.0]
    memory = MemoryReplayCache(clock=lambda: now[0])
    assert memory.first_use("iss", "a", 60)
    assert not memory.first_use("iss", "a", 60)
    assert memory.first_use("other-iss", "a", 60)
    now[0] += 61
    assert memory.first_use("iss", "a", 60)
    client = redis.Redis.from_url(redis_url)
    try:
        shared = RedisReplayCache(client, prefix="test:")
        assert shared.first_use("iss", "b", 1)
        assert not shared.first_use("iss", "b", 1)
        assert 0 < client.ttl("test:iss|b") <= 1
    finally:
        client.close()
