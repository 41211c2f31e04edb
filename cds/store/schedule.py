"""The schedule's state machine. Every transition is one guarded UPDATE (WHERE state = the
expected state), so two workers, a redelivered message or a late reaper can never both win.

    pending --claim--> queued --take--> running --finish--> done
       ^                 |  \\--take, no write-back to wait for--> done
       |                 |                  |--fail (retry later)--> pending
       |---release/reap--|                  |--fail (cap or permanent)--> failed
       |------------------------reap--------|

Each function adds its audit rows to the caller's `Trail`; the unit of work writes them at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cds.store.records import DONE, FAILED, PENDING, QUEUED, RUNNING, FollowUp
from cds.store.schema import evaluations, followups
from cds.store.sql import Trail

f = followups.c

# A queued row with its evaluation: what a worker builds the Task from.
_QUEUED = (
    sa.select(followups, evaluations.c.evaluation)
    .join(evaluations, evaluations.c.id == f.evaluation_id)
    .where(f.id == sa.bindparam("fid"), f.state == QUEUED)
)
# queued -> running, or straight to done when nothing has to happen in between.
_TAKE = (
    followups.update()
    .where(f.id == sa.bindparam("fid"), f.state == QUEUED)
    .values(state=sa.bindparam("to"), attempts=f.attempts + 1, started_at=sa.bindparam("now"),
            finished_at=sa.bindparam("finished"), updated_at=sa.bindparam("now"))
    .returning(*followups.c)
)
_FINISH = (
    followups.update().where(f.id == sa.bindparam("fid"), f.state == RUNNING)
    .values(state=DONE, finished_at=sa.bindparam("now"), last_error=None,
            updated_at=sa.bindparam("now"))
)


def claim_due(conn: Connection, trail: Trail, as_of: datetime, limit: int) -> list[str]:
    """Move up to `limit` rows due by `as_of` from pending to queued; returns their ids."""
    due = (
        sa.select(f.id).where(f.state == PENDING, f.run_after <= as_of)
        .order_by(f.run_after).limit(limit)
        # Concurrent dispatchers take disjoint rows on PostgreSQL (ignored on SQLite, where
        # BEGIN IMMEDIATE already serialises writers).
        .with_for_update(skip_locked=True)
        # Materialized: as an IN (subquery) PostgreSQL may rescan it per row and claim past
        # the limit.
        .cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    )
    ids = list(conn.execute(
        followups.update().where(f.id.in_(sa.select(due.c.id)), f.state == PENDING)
        .values(state=QUEUED, claimed_at=trail.at, updated_at=trail.at).returning(f.id)
    ).scalars())
    for fid in ids:
        trail.add("claimed", followup_id=fid, detail={"asOf": as_of.isoformat()})
    return ids


def release(conn: Connection, trail: Trail, fids: list[str], why: str) -> list[str]:
    """queued -> pending, when the messages could not be sent; returns the ids released."""
    released = list(conn.execute(
        followups.update().where(f.id.in_(fids), f.state == QUEUED)
        .values(state=PENDING, claimed_at=None, last_error=why, updated_at=trail.at)
        .returning(f.id)
    ).scalars())
    for fid in released:
        trail.add("released", followup_id=fid, detail={"why": why})
    return released


def queued(conn: Connection, fid: str) -> tuple[FollowUp, dict[str, Any]] | None:
    """The row and its evaluation while it is queued; None otherwise (a duplicate message)."""
    row = conn.execute(_QUEUED, {"fid": fid}).first()
    return (FollowUp.from_row(row), dict(row.evaluation)) if row else None


def take(conn: Connection, trail: Trail, fid: str, *, done: bool = False) -> FollowUp | None:
    """queued -> running (-> done when `done`), counting the attempt; returns the row as taken,
    or None when it is not queued (a duplicate or late message)."""
    row = conn.execute(_TAKE, {"fid": fid, "to": DONE if done else RUNNING, "now": trail.at,
                               "finished": trail.at if done else None}).first()
    if row is None:
        return None
    trail.add("started", followup_id=fid, detail={"attempt": row.attempts})
    return FollowUp.from_row(row)


def finish(conn: Connection, trail: Trail, fid: str, task_id: str) -> bool:
    """running -> done."""
    done = conn.execute(_FINISH, {"fid": fid, "now": trail.at}).rowcount == 1
    if done:
        sent(trail, fid, task_id)
    return done


def sent(trail: Trail, fid: str, task_id: str) -> None:
    """The audit entry of a follow-up done: its Task is stored (and written back, if configured)."""
    trail.add("sent", followup_id=fid, task_id=task_id)


def fail(conn: Connection, trail: Trail, fid: str, why: str, retry_at: datetime | None, *,
         taken: bool = True) -> str | None:
    """running -> pending (retry at `retry_at`) or failed (no `retry_at`); returns the new state.

    `taken=False`: the run failed before it could take the row (its Task could not be built),
    so the row is still queued; the attempt is counted here.
    """
    state = PENDING if retry_at is not None else FAILED
    values: dict[str, Any] = {"state": state, "last_error": why[:2000], "updated_at": trail.at}
    if retry_at is not None:
        values.update(run_after=retry_at, claimed_at=None)
    else:
        values.update(finished_at=trail.at)
    if not taken:
        values.update(attempts=f.attempts + 1, started_at=trail.at)
    attempt = conn.execute(
        followups.update().where(f.id == fid, f.state == (RUNNING if taken else QUEUED))
        .values(**values).returning(f.attempts)
    ).scalar_one_or_none()
    if attempt is None:
        return None
    if not taken:
        trail.add("started", followup_id=fid, detail={"attempt": attempt})
    trail.add("retry" if retry_at else "failed", followup_id=fid,
              detail={"why": why[:500], "retryAt": retry_at.isoformat() if retry_at else None})
    return state


def reap(conn: Connection, trail: Trail, stuck_after: timedelta,
         max_attempts: int) -> list[tuple[str, str]]:
    """Rows queued or running for longer than `stuck_after` lost their worker or message:
    back to pending, or failed once the attempts are used up. Returns (id, new state)."""
    now = trail.at
    cutoff = now - stuck_after
    stuck = sa.or_(
        sa.and_(f.state == QUEUED, f.claimed_at < cutoff),
        sa.and_(f.state == RUNNING, f.started_at < cutoff),
    )
    why = f"no worker finished it within {int(stuck_after.total_seconds())} s (worker lost?)"
    gave_up = f"gave up after {max_attempts} attempts; last: {why}"
    rows = conn.execute(
        followups.update().where(stuck)
        .values(
            state=sa.case((f.attempts >= max_attempts, FAILED), else_=PENDING),
            last_error=sa.case((f.attempts >= max_attempts, gave_up), else_=why),
            run_after=now, claimed_at=None, updated_at=now,
        )
        .returning(f.id, f.state)
    ).all()
    for fid, state in rows:
        trail.add("reaped", followup_id=fid, detail={"state": state})
    return [(fid, state) for fid, state in rows]


def get(conn: Connection, fid: str) -> FollowUp | None:
    row = conn.execute(sa.select(followups).where(f.id == fid)).first()
    return FollowUp.from_row(row) if row else None


def listing(conn: Connection, state: str | None, limit: int) -> list[FollowUp]:
    q = sa.select(followups).order_by(f.due_at, f.id).limit(limit)
    if state:
        q = q.where(f.state == state)
    return [FollowUp.from_row(r) for r in conn.execute(q)]
