"""The embedded default: a Celery worker and beat started beside `cds serve` as subprocesses.

With no broker and no database configured, everything runs on one machine: SQLite for the
store, kombu's SQLAlchemy transport on SQLite for the broker, and the same Celery code path as
production (real worker and beat processes, acks_late, the reaper), never eager mode.

    handle = workers.embedded.start(settings)   # once, in the serving parent process
    ...
    handle.stop()
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cds.config import Settings
from cds.store import database_url
from workers.celery_app import broker_url

log = logging.getLogger(__name__)

APP = "workers.celery_app:celery"


def wanted(settings: Settings) -> bool:
    """True when no broker is configured: then nobody else runs workers for this service."""
    return not (settings.broker_url or settings.redis_url)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: SIGTERM the child when `cds serve` dies, even by SIGKILL (no orphans)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class EmbeddedWorkers:
    """The running worker and beat processes."""

    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def alive(self) -> bool:
        return bool(self.processes) and all(p.poll() is None for p in self.processes.values())

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a warm shutdown: the running task finishes), then SIGKILL after `timeout`."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for name, proc in self.processes.items():
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded %s did not stop in %.0f s; killing it", name, timeout)
                proc.kill()
                proc.wait()
        self.processes.clear()


# The settings the worker and beat read, as environment variables (they re-read Settings).
_PASSED_ON = {
    "CDS_DEFAULT_LANG": "default_lang",
    "CDS_FOLLOWUP_TRIGGER": "followup_trigger",
    "CDS_DISPATCH_INTERVAL_SECONDS": "dispatch_interval_s",
    "CDS_FOLLOWUP_STUCK_SECONDS": "followup_stuck_s",
    "CDS_FOLLOWUP_MAX_ATTEMPTS": "followup_max_attempts",
    "CDS_FOLLOWUP_BACKOFF_SECONDS": "followup_backoff_s",
    "CDS_FOLLOWUP_BACKOFF_MAX_SECONDS": "followup_backoff_max_s",
    "CDS_FOLLOWUP_BATCH": "followup_batch",
    "CDS_FOLLOWUP_OWNER": "followup_owner",
    "CDS_TASK_IDENTIFIER_SYSTEM": "task_identifier_system",
    "CDS_TASK_FHIR_BASE_URL": "task_fhir_base_url",
    "CDS_TASK_FHIR_TOKEN": "task_fhir_token",
    "CDS_TASK_FHIR_TIMEOUT_SECONDS": "task_fhir_timeout_s",
    "CDS_CELERY_QUEUE": "celery_queue",
}


def child_env(settings: Settings) -> dict[str, str]:
    """The parent's environment plus `settings` (store, broker, follow-up keys), so the worker
    and beat use exactly what the serving process uses, even when it was configured in code."""
    env = dict(os.environ)
    env.pop("CDS_TASK_FHIR_TOKEN_FILE", None)  # the token itself is passed on below
    env.update({
        "CDS_INSTANCE_DIR": str(settings.instance_dir.resolve()),
        "CDS_DATABASE_URL": database_url(settings),
        "CDS_BROKER_URL": broker_url(settings),
        "CDS_RULES_DIR": str(settings.rules_dir),
    })
    for key, attr in _PASSED_ON.items():
        value = getattr(settings, attr)
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def start(settings: Settings, *, loglevel: str = "INFO", log_dir: Path | None = None) -> EmbeddedWorkers:
    """Start one worker (prefork, one process) and one beat; returns a handle to stop them."""
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    env = child_env(settings)
    base = [sys.executable, "-m", "celery", "-A", APP]
    commands = {
        "worker": [*base, "worker", "--concurrency", "1", "--hostname", f"embedded-{os.getpid()}@%h",
                   "--without-gossip", "--without-mingle", "--loglevel", loglevel],
        "beat": [*base, "beat", "--loglevel", loglevel],
    }
    handle = EmbeddedWorkers()
    for name, cmd in commands.items():
        out = open(log_dir / f"{name}.log", "ab") if log_dir else None  # noqa: SIM115 - child owns it
        handle.processes[name] = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        if out:
            out.close()
        log.info("embedded %s started (pid %d)", name, handle.processes[name].pid)
    atexit.register(handle.stop)
    return handle
