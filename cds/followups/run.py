"""What the workers and the CLI do: dispatch due rows, run one follow-up, reap stuck ones.

Celery tasks only call these; the functions hold the logic, take ids, and log ids only.
A failed run is retried through the schedule table (run_after = now + backoff), not with a
Celery countdown, so a retry survives a lost worker and its reason stays visible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from cds.config import Settings
from cds.errors import CdsError, StoreError, WriteBackError
from cds.followups.task import build_task
from cds.followups.writeback import write_back
from cds.store import Store

log = logging.getLogger(__name__)


# Batches one dispatch claims at most. Beat's tick (workers/tasks.py) sends the next dispatch
# behind the runs when rows are still due, so this bounds the queue, not the pace.
DISPATCH_ROUNDS = 10


@dataclass
class DispatchResult:
    claimed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    more: bool = False  # stopped after DISPATCH_ROUNDS full batches: rows may still be due


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Exponential: base, 2x base, 4x base ... capped at CDS_FOLLOWUP_BACKOFF_MAX_SECONDS."""
    seconds = settings.followup_backoff_s * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.followup_backoff_max_s))


def dispatch(store: Store, settings: Settings, enqueue: Callable[[str], object],
             as_of: datetime | None = None, actor: str = "system:dispatch",
             rounds: int = DISPATCH_ROUNDS) -> DispatchResult:
    """Claim the rows due by `as_of` (now), CDS_FOLLOWUP_BATCH at a time while batches come
    back full (at most `rounds`), and hand each id to `enqueue` (run_followup.delay).

    If sending fails (broker down) the rest are released to pending for the next tick.
    """
    result = DispatchResult()
    for _ in range(rounds):
        batch = store.claim_due(as_of, settings.followup_batch, actor)
        result.claimed += batch
        for n, fid in enumerate(batch):
            try:
                enqueue(fid)
            except Exception as exc:  # any broker/transport failure: the rows must not stay queued
                why = f"enqueue failed ({type(exc).__name__})"
                result.released = store.release(batch[n:], why, actor)
                log.warning("dispatch: %s; released %d follow-ups", why, len(result.released))
                return result
            result.sent.append(fid)
        if len(batch) < settings.followup_batch:
            break
    else:
        result.more = True
    if result.claimed:
        log.info("dispatch: claimed=%d sent=%d", len(result.claimed), len(result.sent))
    return result


def run_followup(store: Store, settings: Settings, fid: str,
                 session: requests.Session | None = None) -> str:
    """Create the follow-up's Task (store, then EHR write-back); returns the outcome:
    skipped (not queued: a duplicate or late message), done, retry, or failed.

    The row is read and its Task built first; then one transaction takes it. Without a
    write-back that transaction is the whole run (queued -> done with its Task). With one, the
    Task is stored as the row goes running, the POST follows, and a second transaction records
    the EHR's reference and done: a crash in between leaves a running row the reaper re-pends,
    and the retry sends the stored Task again (conditional create: still one Task there).
    """
    writes_back = settings.task_fhir_base_url is not None
    loaded = store.queued(fid)
    if loaded is None:
        log.info("followup %s: not queued, skipped", fid)
        return "skipped"
    row, evaluation = loaded
    attempt = row.attempts + 1  # what taking the row makes it
    stored = False  # the take committed: the row is running (or done) with its Task
    try:
        resource = build_task(store.plan, row, evaluation, owner=settings.followup_owner,
                              identifier_system=settings.task_identifier_system,
                              lang=settings.default_lang, now=store.clock())
        taken = store.take(row, resource, settings.followup_owner, finish=not writes_back)
        if taken is None:
            log.info("followup %s: taken by another run, skipped", fid)
            return "skipped"
        stored = True
        record, created = taken
        if writes_back:
            ref = write_back(settings, record.resource, session) if record.remote_ref is None else None
            store.complete(fid, record.id, ref)
        log.info("followup %s: task %s %s", fid, record.id, "created" if created else "existed")
        return "done"
    except StoreError:
        raise  # the row stays queued or running; a retry of the message or the reaper takes it
    except Exception as exc:
        why, retry = _failure(exc)
    retry_at = None
    if retry and attempt < settings.followup_max_attempts:
        retry_at = store.clock() + backoff(settings, attempt)
    elif retry:
        why = f"gave up after {attempt} attempts; last: {why}"
    state = store.fail(fid, why, retry_at, taken=stored)
    log.warning("followup %s: attempt %d failed (%s) -> %s", fid, attempt, why, state)
    return "retry" if retry_at else "failed"


def _failure(exc: Exception) -> tuple[str, bool]:
    """Why a run failed, and whether trying again can help."""
    if isinstance(exc, WriteBackError):
        return exc.message, exc.retry
    if isinstance(exc, CdsError | ValueError):  # a plan or Task defect: retrying will not fix it
        return (exc.message if isinstance(exc, CdsError) else str(exc)), False
    # Type name only: a message or traceback could quote patient data.
    return f"unexpected {type(exc).__name__}", True


def reap(store: Store, settings: Settings) -> list[tuple[str, str]]:
    """Re-pend rows stuck queued/running past CDS_FOLLOWUP_STUCK_SECONDS (or fail them at the cap)."""
    reaped = store.reap(timedelta(seconds=settings.followup_stuck_s),
                        settings.followup_max_attempts)
    for fid, state in reaped:
        log.warning("followup %s: stuck, reaped -> %s", fid, state)
    return reaped
