"""The Celery app. Configuration is read from the environment (cds.config.Settings) when the
app is first used, not at import, so `celery -A workers.celery_app:celery` and tests that set
the environment first both get the right broker.

Broker: CDS_BROKER_URL, else CDS_REDIS_URL, else the embedded SQLAlchemy transport on SQLite
(sqla+sqlite:///<instance>/broker.sqlite3), which needs no server.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from cds.config import Settings


def broker_url(settings: Settings) -> str:
    if settings.broker_url:
        return settings.broker_url
    if settings.redis_url:
        return settings.redis_url
    return f"sqla+sqlite:///{(settings.instance_dir / 'broker.sqlite3').resolve()}"


def _transport_options(settings: Settings) -> dict[str, Any]:
    if not broker_url(settings).startswith(("redis://", "rediss://", "redis+socket://")):
        return {}  # the SQLAlchemy transport hands these to create_engine, which refuses them
    return {
        # The Redis transport redelivers an unacked message after visibility_timeout. We never
        # send ETA/countdown messages days ahead (the schedule is the database table), so this
        # only has to outlast the longest run; keep it above the hard time limit.
        "visibility_timeout": max(3600, settings.followup_stuck_s * 2),
        # Fail fast when Redis is down so dispatch releases its claims instead of hanging.
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    """Every setting that differs from Celery's default, with the reason beside it."""
    stuck = settings.followup_stuck_s
    interval = settings.dispatch_interval_s
    return {
        "broker_url": broker_url(settings),
        # Our own queue name, not "celery": other apps on the same Redis must not take our
        # messages, and several deployments can share one Redis (CDS_CELERY_QUEUE).
        "task_default_queue": settings.celery_queue,
        # Ack after the run, not before: a worker lost mid-task leaves its message to be
        # delivered again. The effect is made idempotent by the guarded state change and the
        # Task's stable identifier. https://docs.celeryq.dev/en/stable/faq.html#faq-acks-late-vs-retry
        "task_acks_late": True,
        # With acks_late, a child process killed (SIGKILL, OOM) would otherwise be acked and the
        # message lost; reject it so it is requeued.
        "task_reject_on_worker_lost": True,
        # Reserve one message per process: long runs (EHR write-back) must not hold a backlog of
        # unacked messages that other workers could be running.
        "worker_prefetch_multiplier": 1,
        # Results live in the followups table; a result backend would only add a dependency.
        "task_ignore_result": True,
        # A run is one Task write with a bounded HTTP timeout; kill it well before the reaper
        # (CDS_FOLLOWUP_STUCK_SECONDS) would consider its row lost, so the two never overlap.
        "task_time_limit": max(int(stuck * 0.8), 1),
        "task_soft_time_limit": max(int(stuck * 0.7), 1),
        "broker_transport_options": _transport_options(settings),
        # Keep retrying the broker at start (compose/k8s start order); Celery 5.3+ wants this
        # stated explicitly.
        "broker_connection_retry_on_startup": True,
        # With acks_late, a broker reconnect redelivers unacked messages; stop the running copy
        # instead of letting two run (the Celery 6 default).
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # The periodic jobs. Each message expires after one interval: after an outage the next
        # tick does the same work, so a backlog of stale ticks is dropped, not run N times.
        "beat_schedule": {
            "followups-dispatch-due": {
                "task": "cds.followups.dispatch_due",
                "schedule": interval,
                "options": {"expires": interval},
            },
            "followups-reap-stuck": {
                "task": "cds.followups.reap",
                "schedule": max(interval, 5.0),
                "options": {"expires": max(interval, 5.0)},
            },
        },
        # Beat keeps its last-run times here; the default (the working directory) is read-only in
        # the container image.
        "beat_schedule_filename": str((settings.instance_dir / "celerybeat-schedule").resolve()),
    }


def _from_env() -> dict[str, Any]:
    settings = Settings.from_env()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    return celery_config(settings)


celery = Celery("cds", include=["workers.tasks"])
# A callable is a promise: Celery calls it when the configuration is first needed.
celery.add_defaults(_from_env)
