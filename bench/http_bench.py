"""Section 3: the service under gunicorn (deploy/gunicorn.conf.py: 2 processes x 4 threads) with
PostgreSQL for the store and a private Redis for JWT replay protection, loaded from the same
2-core machine over loopback with Synthea-derived encounter-discharge requests, each with its
own ES384 JWT and hookInstance.

Fixed rate: p50/p99 at 100 requests/s. Highest rate: a closed-loop probe estimates capacity,
then fixed-rate runs step down from there until one is sustained (every answer 200, the rate
kept, p99 under 1 s).
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import loadgen
from bench.data import HookCase
from bench.services import Ehr, Gunicorn, postgres_database, redis_server, wait_for

PATH = "/cds-services/pfd-risk-discharge"


@dataclass
class HttpResult:
    fixed: loadgen.LoadResult | None = None
    probe_rps: float = 0.0
    attempts: list[loadgen.LoadResult] = field(default_factory=list)
    best: loadgen.LoadResult | None = None
    first_answer_s: float = 0.0  # gunicorn spawn -> first 200 on the hook


def _post(base: str, body: bytes, token: str) -> int:
    req = urllib.request.Request(base + PATH, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
            resp.read()
            return int(resp.status)
    except OSError:
        return 0


def run(cases: list[HookCase], workdir: Path, *, quick: bool, fixed_rate: float = 100.0) -> HttpResult:
    duration = 3.0 if quick else 60.0
    bodies = [c.body for c in cases]
    result = HttpResult()
    ehr = Ehr(workdir)
    with redis_server(workdir) as redis_url, postgres_database() as db_url:
        env = {"CDS_TRUSTED_ISSUERS": ehr.issuers_env(), "CDS_REDIS_URL": redis_url, "CDS_DATABASE_URL": db_url,
               "CDS_INSTANCE_DIR": str(workdir / "instance")}
        with Gunicorn(env, workdir) as server:
            aud = server.base + PATH
            probe = bodies[0].replace(loadgen.PLACEHOLDER, b"11111111-2222-4333-8444-555555555555", 1)
            answered: list[float] = []

            def up() -> bool:
                if _post(server.base, probe, ehr.token(aud)) == 200:
                    answered.append(time.perf_counter())
                    return True
                return False

            wait_for(up, 60, "gunicorn to answer the hook", every=0.02)
            result.first_answer_s = answered[0] - server.started_at
            # Both workers warm (each builds its own app) before anything is measured.
            warm = ehr.tokens(aud, 40)
            loadgen.closed_loop(server.base, PATH, bodies, warm, 4, 1.0)

            tokens = ehr.tokens(aud, int(fixed_rate * duration))
            result.fixed = loadgen.run(server.base, PATH, bodies, tokens, fixed_rate, duration)

            probe_s = 2.0 if quick else 8.0
            tokens = ehr.tokens(aud, int(probe_s * 1000))
            result.probe_rps = loadgen.closed_loop(server.base, PATH, bodies, tokens, 16, probe_s)
            rate = max(10.0, round(result.probe_rps * 0.95 / 5) * 5)
            for _ in range(4):
                tokens = ehr.tokens(aud, int(rate * duration))
                attempt = loadgen.run(server.base, PATH, bodies, tokens, rate, duration)
                result.attempts.append(attempt)
                if attempt.sustained():
                    result.best = attempt
                    break
                rate = max(10.0, round(rate * 0.85 / 5) * 5)
    return result
