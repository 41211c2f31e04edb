"""Real parts for the follow-up tests: redis-server, celery worker/beat processes, and a loopback
FHIR server that does conditional create. Nothing here skips: a missing part fails the test with
what to install or start."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis

APP = "workers.celery_app:celery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(every)


def redis_ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


class RedisServer:
    """A private redis-server on a free port, with append-only persistence in a temp dir."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server not found: install it (apt-get install -y redis-server)",
                        pytrace=False)
        log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - the process writes to it
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(lambda: redis_ping(self.url), 10, f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


class CeleryProcesses:
    """`celery worker` and `celery beat` as real subprocesses, each in its own process group."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - the process writes to it
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", APP, *args], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "w1") -> subprocess.Popen[bytes]:
        log_path = self.log_dir / f"worker-{name}.log"
        start = log_path.stat().st_size if log_path.exists() else 0
        proc = self._spawn(f"worker-{name}", [
            "worker", "--concurrency", "1", "--hostname", f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
        ])

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited: see {log_path}", pytrace=False)
            return " ready." in log_path.read_text(errors="replace")[start:]

        wait_for(ready, 60, f"celery worker {name} to be ready")
        return proc

    def beat(self) -> subprocess.Popen[bytes]:
        return self._spawn("beat", ["beat", "--loglevel", "INFO",
                                    "--schedule", str(self.log_dir / "beat-schedule")])

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group: the worker's main process and its pool children."""
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        proc.wait(20)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill(proc)


class FhirTaskServer:
    """The EHR's FHIR server on loopback: POST /fhir/Task with If-None-Exist (conditional create).

    `fail_next` answers 503 that many times; `delay` holds each POST that long before answering
    (the create still happens, as on a real server, even if the client is gone by then).
    """

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.tasks: dict[str, dict[str, Any]] = {}
        self.by_identifier: dict[str, str] = {}
        self.posts = 0
        self.fail_next = 0
        self.delay = 0.0
        self.bad_auth = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server.lock:
                    server.posts += 1
                    fail = server.fail_next > 0
                    server.fail_next -= 1 if fail else 0
                    delay = server.delay
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    server.bad_auth += 1
                    self._send(401, {"resourceType": "OperationOutcome"})
                    return
                if fail:
                    self._send(503, {"resourceType": "OperationOutcome"})
                    return
                time.sleep(delay)
                key = self.headers.get("If-None-Exist", "").removeprefix("identifier=")
                with server.lock:
                    if key and key in server.by_identifier:
                        tid, status = server.by_identifier[key], 200
                    else:
                        tid, status = f"ehr-{len(server.tasks) + 1}", 201
                        server.tasks[tid] = {**json.loads(body), "id": tid}
                        if key:
                            server.by_identifier[key] = tid
                self._send(status, server.tasks[tid], location=f"/fhir/Task/{tid}/_history/1")

            def _send(self, status: int, body: dict[str, Any], location: str = "") -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
