"""The schedule's state machine. Every transition is one guarded UPDATE (WHERE state = the
expected state), so two workers, a redelivered message or a late reaper can never both win.

    pending --claim--> queued --start--> running --finish--> done
       ^                 |                  |--fail (retry later)--> pending
       |---release/reap--|                  |--fail (cap or permanent)--> failed
       |------------------------reap--------|
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cds.store.records import DONE, FAILED, PENDING, QUEUED, RUNNING, FollowUp
from cds.store.schema import followups
from cds.store.sql import write_audit

f = followups.c


def claim_due(conn: Connection, now: datetime, as_of: datetime, limit: int,
              actor: str) -> list[str]:
    """Move up to `limit` rows due by `as_of` from pending to queued; returns their ids."""
    due = (
        sa.select(f.id).where(f.state == PENDING, f.run_after <= as_of)
        .order_by(f.run_after).limit(limit)
        # Concurrent dispatchers take disjoint rows on PostgreSQL (ignored on SQLite, where
        # BEGIN IMMEDIATE already serialises writers).
        .with_for_update(skip_locked=True)
    )
    ids = list(conn.execute(
        followups.update().where(f.id.in_(due.scalar_subquery()), f.state == PENDING)
        .values(state=QUEUED, claimed_at=now, updated_at=now).returning(f.id)
    ).scalars())
    for fid in ids:
        write_audit(conn, now, actor, "claimed", followup_id=fid,
                    detail={"asOf": as_of.isoformat()})
    return ids


def release(conn: Connection, now: datetime, fid: str, why: str, actor: str) -> bool:
    """queued -> pending, when the message could not be sent."""
    done = conn.execute(
        followups.update().where(f.id == fid, f.state == QUEUED)
        .values(state=PENDING, claimed_at=None, last_error=why, updated_at=now)
    ).rowcount == 1
    if done:
        write_audit(conn, now, actor, "released", followup_id=fid, detail={"why": why})
    return done


def start(conn: Connection, now: datetime, fid: str, actor: str) -> FollowUp | None:
    """queued -> running and count the attempt; None when the row is not queued (a duplicate)."""
    row = conn.execute(
        followups.update().where(f.id == fid, f.state == QUEUED)
        .values(state=RUNNING, attempts=f.attempts + 1, started_at=now, updated_at=now)
        .returning(*followups.c)
    ).first()
    if row is None:
        return None
    write_audit(conn, now, actor, "started", followup_id=fid, detail={"attempt": row.attempts})
    return FollowUp.from_row(row)


def finish(conn: Connection, now: datetime, fid: str, task_id: str, actor: str) -> bool:
    done = conn.execute(
        followups.update().where(f.id == fid, f.state == RUNNING)
        .values(state=DONE, finished_at=now, last_error=None, updated_at=now)
    ).rowcount == 1
    if done:
        write_audit(conn, now, actor, "sent", followup_id=fid, task_id=task_id)
    return done


def fail(conn: Connection, now: datetime, fid: str, why: str, retry_at: datetime | None,
         actor: str) -> str | None:
    """running -> pending (retry at `retry_at`) or failed (no `retry_at`); returns the new state."""
    state = PENDING if retry_at is not None else FAILED
    values: dict[str, object] = {"state": state, "last_error": why[:2000], "updated_at": now}
    if retry_at is not None:
        values.update(run_after=retry_at, claimed_at=None)
    else:
        values.update(finished_at=now)
    changed = conn.execute(
        followups.update().where(f.id == fid, f.state == RUNNING).values(**values)
    ).rowcount == 1
    if not changed:
        return None
    write_audit(conn, now, actor, "retry" if retry_at else "failed", followup_id=fid,
                detail={"why": why[:500], "retryAt": retry_at.isoformat() if retry_at else None})
    return state


def reap(conn: Connection, now: datetime, stuck_after: timedelta, max_attempts: int,
         actor: str) -> list[tuple[str, str]]:
    """Rows queued or running for longer than `stuck_after` lost their worker or message:
    back to pending, or failed once the attempts are used up. Returns (id, new state)."""
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
        write_audit(conn, now, actor, "reaped", followup_id=fid, detail={"state": state})
    return [(fid, state) for fid, state in rows]


def get(conn: Connection, fid: str) -> FollowUp | None:
    row = conn.execute(sa.select(followups).where(f.id == fid)).first()
    return FollowUp.from_row(row) if row else None


def listing(conn: Connection, state: str | None, limit: int) -> list[FollowUp]:
    q = sa.select(followups).order_by(f.due_at, f.id).limit(limit)
    if state:
        q = q.where(f.state == state)
    return [FollowUp.from_row(r) for r in conn.execute(q)]
