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


@dataclass
class DispatchResult:
    claimed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Exponential: base, 2x base, 4x base ... capped at CDS_FOLLOWUP_BACKOFF_MAX_SECONDS."""
    seconds = settings.followup_backoff_s * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.followup_backoff_max_s))


def dispatch(store: Store, settings: Settings, enqueue: Callable[[str], object],
             as_of: datetime | None = None, actor: str = "system:dispatch") -> DispatchResult:
    """Claim the rows due by `as_of` (now) and hand each id to `enqueue` (run_followup.delay).

    If sending fails (broker down) the rest are released to pending for the next tick.
    """
    result = DispatchResult(claimed=store.claim_due(as_of, settings.followup_batch, actor))
    for n, fid in enumerate(result.claimed):
        try:
            enqueue(fid)
        except Exception as exc:  # any broker/transport failure: the row must not stay queued
            why = f"enqueue failed ({type(exc).__name__})"
            for rest in result.claimed[n:]:
                if store.release(rest, why, actor):
                    result.released.append(rest)
            log.warning("dispatch: %s; released %d follow-ups", why, len(result.released))
            break
        result.sent.append(fid)
    if result.claimed:
        log.info("dispatch: claimed=%d sent=%d", len(result.claimed), len(result.sent))
    return result


def run_followup(store: Store, settings: Settings, fid: str,
                 session: requests.Session | None = None) -> str:
    """Create the follow-up's Task (store, then EHR write-back); returns the outcome:
    skipped (not queued: a duplicate or late message), done, retry, or failed."""
    row = store.start(fid)
    if row is None:
        log.info("followup %s: not queued, skipped", fid)
        return "skipped"
    retry = True
    try:
        resource = build_task(
            store.plan, row, store.evaluation_json(row.evaluation_id),
            owner=settings.followup_owner, identifier_system=settings.task_identifier_system,
            lang=settings.default_lang, now=store.clock(),
        )
        record, created = store.save_task(row, resource, settings.followup_owner)
        if settings.task_fhir_base_url and record.remote_ref is None:
            store.mark_written_back(record.id, write_back(settings, record.resource, session))
        store.finish(fid, record.id)
        log.info("followup %s: task %s %s", fid, record.id, "created" if created else "existed")
        return "done"
    except StoreError:
        raise  # the row stays running; the reaper re-pends it once the database is back
    except WriteBackError as exc:
        why, retry = exc.message, exc.retry
    except (CdsError, ValueError) as exc:  # a plan or Task defect: retrying will not fix it
        why, retry = (exc.message if isinstance(exc, CdsError) else str(exc)), False
    except Exception as exc:
        # Type name only: a message or traceback could quote patient data.
        why = f"unexpected {type(exc).__name__}"
    retry_at = None
    if retry and row.attempts < settings.followup_max_attempts:
        retry_at = store.clock() + backoff(settings, row.attempts)
    elif retry:
        why = f"gave up after {row.attempts} attempts; last: {why}"
    state = store.fail(fid, why, retry_at)
    log.warning("followup %s: attempt %d failed (%s) -> %s", fid, row.attempts, why, state)
    return "retry" if retry_at else "failed"


def reap(store: Store, settings: Settings) -> list[tuple[str, str]]:
    """Re-pend rows stuck queued/running past CDS_FOLLOWUP_STUCK_SECONDS (or fail them at the cap)."""
    reaped = store.reap(timedelta(seconds=settings.followup_stuck_s),
                        settings.followup_max_attempts)
    for fid, state in reaped:
        log.warning("followup %s: stuck, reaped -> %s", fid, state)
    return reaped
