"""Real parts the benchmarks start and stop: a private redis-server, a throwaway PostgreSQL
database, the EHR's signing keys and JWKS file, and gunicorn serving the app."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.data import REPO

ISSUER = "https://ehr.bench.example"
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A private redis-server on a free port (no persistence): nothing else shares it."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(up, 10, "redis-server")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """CREATE DATABASE bench_<random>, yield its SQLAlchemy URL, DROP it afterwards."""
    import psycopg
    import sqlalchemy as sa

    admin = sa.engine.make_url(POSTGRES_ADMIN)
    conn = psycopg.connect(host=admin.host, port=admin.port or 5432, user=admin.username,
                           password=admin.password, dbname=admin.database, autocommit=True, connect_timeout=5)
    name = f"cds_bench_{secrets.token_hex(5)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class Ehr:
    """The EHR's ES384 key: its JWKS (a file for CDS_TRUSTED_ISSUERS) and fresh JWTs.

    Tokens are signed with `cryptography` directly (the same JWS as joserfc makes) so that
    tens of thousands can be made before a load run without slowing it.
    """

    def __init__(self, workdir: Path) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = ec.generate_private_key(ec.SECP384R1())
        numbers = self._key.public_key().public_numbers()
        self.kid = "bench-es384"
        jwk = {"kty": "EC", "crv": "P-384", "kid": self.kid, "use": "sig", "alg": "ES384",
               "x": _b64(numbers.x.to_bytes(48, "big")).decode(), "y": _b64(numbers.y.to_bytes(48, "big")).decode()}
        self.jwks_path = workdir / "jwks.json"
        self.jwks_path.write_bytes(orjson.dumps({"keys": [jwk]}))
        self._header = _b64(orjson.dumps({"alg": "ES384", "kid": self.kid, "typ": "JWT"}))

    def issuers_env(self) -> str:
        return orjson.dumps({ISSUER: str(self.jwks_path)}).decode()

    def token(self, aud: str, lifetime_s: int = 1800) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        now = int(time.time())
        claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + lifetime_s, "jti": str(uuid.uuid4())}
        signing_input = self._header + b"." + _b64(orjson.dumps(claims))
        r, s = decode_dss_signature(self._key.sign(signing_input, ec.ECDSA(hashes.SHA384())))
        return (signing_input + b"." + _b64(r.to_bytes(48, "big") + s.to_bytes(48, "big"))).decode()

    def tokens(self, aud: str, n: int) -> list[str]:
        return [self.token(aud) for _ in range(n)]


class Gunicorn:
    """`gunicorn -c deploy/gunicorn.conf.py cds.wsgi:app` on a free loopback port."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = workdir / "gunicorn.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        conf = REPO / "deploy" / "gunicorn.conf.py"
        args = [sys.executable, "-m", "gunicorn", "cds.wsgi:app"]
        if conf.exists():
            args[3:3] = ["-c", str(conf)]
        with open(self.log, "ab") as log:
            self.started_at = time.perf_counter()
            self.proc = subprocess.Popen(args, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(p) for p in out.stdout.split()]

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
