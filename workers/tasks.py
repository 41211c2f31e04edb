"""Thin Celery tasks: ids in, a call into cds.followups.run, nothing else.

The names are a wire format (messages in Redis carry them): never rename one without keeping
the old name registered until the queues have drained.
"""

from __future__ import annotations

from datetime import datetime

from cds.errors import StoreError
from cds.fhir.dates import parse_moment
from cds.followups import run
from workers.celery_app import celery
from workers.context import http, settings, store


@celery.task(  # type: ignore[untyped-decorator]
    name="cds.followups.run",
    # Database unreachable before the row was taken: try again soon (seconds, not days).
    autoretry_for=(StoreError,), retry_backoff=2, retry_backoff_max=60, max_retries=5,
)
def run_followup(followup_id: str) -> str:
    """Create the FHIR Task of one due follow-up (guarded: a duplicate message is a no-op)."""
    return run.run_followup(store(), settings(), followup_id, http())


def _enqueue(followup_id: str) -> None:
    run_followup.apply_async((followup_id,), retry=False)


@celery.task(name="cds.followups.dispatch_due")  # type: ignore[untyped-decorator]
def dispatch_due(as_of: str | None = None) -> int:
    """Beat, every CDS_DISPATCH_INTERVAL_SECONDS: claim due rows and enqueue one run each.

    When rows are still due after the bound (run.DISPATCH_ROUNDS batches), the next dispatch
    goes on the queue behind the runs just sent: a backlog drains at the workers' pace, with
    about one bound of it queued at a time, instead of one bound per beat interval. It expires
    like beat's ticks, so a chain never outlives a queue that is not moving.
    """
    moment: datetime | None = parse_moment(as_of) if as_of else None
    result = run.dispatch(store(), settings(), _enqueue, moment)
    if result.more:
        dispatch_due.apply_async((as_of,), expires=settings().dispatch_interval_s, retry=False)
    return len(result.sent)


@celery.task(name="cds.followups.reap")  # type: ignore[untyped-decorator]
def reap_stuck() -> int:
    """Beat: re-pend rows whose worker was lost; fail them once the attempts are used up."""
    return len(run.reap(store(), settings()))
