"""Section 4: the FHIR fallback. A request without prefetch makes the service query the EHR's
FHIR server (here a loopback server that adds 50 ms to every query). Goal: total time at most
1.5x one query plus the evaluation, which holds only when the queries run in parallel over
reused connections."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import requests

from bench.data import HookCase, apply_template
from bench.inproc import Handler
from cds.config import Settings
from cds.hooks.discovery import Service
from cds.hooks.state import KEY
from cds.hooks.store_seam import InProcessStore
from cds.knowledge import Knowledge

DELAY_S = 0.050


class SlowFhirServer:
    """Answers reads and searches over one patient's bundle, each after DELAY_S; HTTP/1.1
    keep-alive; counts queries and TCP connections."""

    def __init__(self, case: HookCase, delay_s: float = DELAY_S) -> None:
        self.queries = 0
        self.connections = 0
        self.lock = threading.Lock()
        entries = [e for e in case.bundle["entry"] if isinstance(e.get("resource"), dict)]
        owner = self

        class Handle(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with owner.lock:
                    owner.connections += 1

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with owner.lock:
                    owner.queries += 1
                time.sleep(delay_s)
                query = unquote(self.path.split("/fhir/", 1)[1])
                found = apply_template(query, entries, case.patient_id)
                body = orjson.dumps(found) if found is not None else b'{"resourceType":"OperationOutcome"}'
                self.send_response(200 if found is not None else 404)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                # Headers and body in one write: two small writes would meet the client's delayed
                # ACK (40 ms on Linux) and measure TCP, not the service.
                self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
                self.flush_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class FallbackResult:
    case: str
    total_s: float
    one_query_s: float
    evaluation_s: float
    queries_per_call: float
    calls: int
    connections: int  # TCP connections the service opened to the FHIR server, all calls

    @property
    def queries_per_connection(self) -> float:
        return self.queries_per_call * (self.calls + 1) / max(self.connections, 1)

    @property
    def ratio(self) -> float:
        return self.total_s / (self.one_query_s + self.evaluation_s)


def run(kb: Knowledge, services: dict[str, Service], case: HookCase, workdir: Path, *, quick: bool) -> FallbackResult:
    from cds.app import create_app

    settings = replace(Settings.from_env({}), auth_disabled=True, instance_dir=workdir / "fallback")
    app = create_app(settings)
    app.extensions[KEY].store = InProcessStore()  # the store is not what this measures
    client = app.test_client()
    server = SlowFhirServer(case)
    try:
        body = case.body_without_prefetch(server.base)
        calls = 5 if quick else 30
        first = client.post("/cds-services/pfd-risk-discharge", data=body, content_type="application/json")
        if first.status_code != 200:
            raise RuntimeError(f"fallback call answered {first.status_code}: {first.data[:300]!r}")
        before_q = server.queries
        totals = []
        for _ in range(calls):
            t0 = time.perf_counter()
            response = client.post("/cds-services/pfd-risk-discharge", data=body, content_type="application/json")
            totals.append(time.perf_counter() - t0)
            assert response.status_code == 200
        queries = (server.queries - before_q) / calls
        connections = server.connections  # over every call, the first included
        with requests.Session() as session:  # one query, keep-alive, as the service's own pool does
            url = f"{server.base}/Patient/{case.patient_id}"
            session.get(url).raise_for_status()
            singles = []
            for _ in range(5 if quick else 20):
                t0 = time.perf_counter()
                session.get(url).raise_for_status()
                singles.append(time.perf_counter() - t0)
        handler = Handler(kb, services)
        handler(case.body)
        evals = []
        for _ in range(10 if quick else 50):
            t0 = time.perf_counter()
            handler(case.body)
            evals.append(time.perf_counter() - t0)
    finally:
        server.close()
        store = app.extensions.get("cds.store")
        if store is not None and hasattr(store, "close"):
            store.close()
    return FallbackResult(case.name, statistics.median(totals), statistics.median(singles), statistics.median(evals),
                          queries, calls, connections)
