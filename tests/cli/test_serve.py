"""The README's run command on embedded defaults: `cds serve` with no Redis and no database.

A real subprocess; a discharge hook for a risky Synthea patient (discharged years ago, so every
follow-up is already due); the embedded beat and worker turn them into FHIR Tasks that the
coordinator API then lists. Nothing here is eager mode or a test client.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.followups.hookcalls import RISKY, discharge_request

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_cds_serve_runs_the_whole_flow_on_embedded_defaults(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    env.update(CDS_AUTH_DISABLED="true", CDS_INSTANCE_DIR=str(tmp_path), CDS_DISPATCH_INTERVAL_SECONDS="1")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "cds.cli", "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/healthz", time.monotonic() + 30)
        body, patient_id, _ = discharge_request(RISKY)
        answer = requests.post(f"{base}/cds-services/pfd-risk-discharge", json=body, timeout=10)
        assert answer.status_code == 200
        assert [c["indicator"] for c in answer.json()["cards"]] == ["warning", "info"]
        deadline = time.monotonic() + 60
        tasks: list[dict] = []
        while time.monotonic() < deadline and len(tasks) < 3:
            bundle = requests.get(f"{base}/fhir/Task", params={"patient": patient_id}, timeout=5).json()
            tasks = [e["resource"] for e in bundle.get("entry", [])]
            time.sleep(0.5)
        assert len(tasks) == 3, (tmp_path / "serve.log").read_text()[-2000:]
        assert {t["for"]["reference"] for t in tasks} == {f"Patient/{patient_id}"}
        worklist = requests.get(f"{base}/worklist", timeout=5)
        assert worklist.status_code == 200 and "bekkenbodem" in worklist.text.lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    deadline = time.monotonic() + 20  # the worker's warm shutdown finishes its task first
    while time.monotonic() < deadline:
        leftovers = subprocess.run(["pgrep", "-f", f"embedded-{proc.pid}@"], capture_output=True, text=True)
        if leftovers.stdout == "":
            break
        time.sleep(0.5)
    assert leftovers.stdout == "", "embedded worker outlived cds serve"
