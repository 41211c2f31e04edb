"""Section 6: cold start, from process start to the first answered hook: interpreter start,
imports, configuration, rule loading and validation, the store's schema, then one
encounter-discharge call through the Flask app (in-process, auth off, embedded SQLite store).
Best of a few runs in fresh processes; the gunicorn figure (spawn to first HTTP 200 with a JWT)
comes from section 3."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.data import REPO, HookCase

_CHILD = """
import sys
from cds.app import create_app
app = create_app()
body = open(sys.argv[1], "rb").read()
r = app.test_client().post("/cds-services/pfd-risk-discharge", data=body, content_type="application/json")
assert r.status_code == 200 and b'"cards"' in r.data, r.status_code
sys.stdout.write("answered\\n")
"""


def run(case: HookCase, workdir: Path, *, quick: bool) -> list[float]:
    body = workdir / "cold-body.json"
    body.write_bytes(case.body)
    times = []
    for n in range(2 if quick else 5):
        env = {**os.environ, "CDS_AUTH_DISABLED": "true", "CDS_INSTANCE_DIR": str(workdir / f"cold-{n}")}
        for key in ("CDS_DATABASE_URL", "CDS_REDIS_URL", "CDS_BROKER_URL"):
            env.pop(key, None)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD, str(body)], env=env, cwd=REPO, capture_output=True,
                             text=True, check=False, timeout=120)
        elapsed = time.perf_counter() - t0
        if out.returncode != 0 or "answered" not in out.stdout:
            raise RuntimeError(f"cold start failed: {out.stderr[-500:]}")
        times.append(elapsed)
    return times
