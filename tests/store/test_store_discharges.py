"""record_discharge / record_feedback: the outbox writes and the trigger, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cds.followups.ids import followup_id, followup_suggestion_uuid
from cds.store import CANCELLED, PENDING, Store

from .helpers import T0, FakeEvaluation, discharge

CARD = "0b1c2d3e-0000-4000-8000-000000000001"


def _feedback(store: Store, outcome: str, **kw: Any) -> None:
    store.record_feedback(
        service_id="pfd-risk-discharge", card_uuid=kw.pop("card", CARD), outcome=outcome,
        accepted_suggestions=kw.pop("accepted", []), override_reason=kw.pop("override", None),
        outcome_timestamp=kw.pop("at", T0 + timedelta(minutes=5)),
    )


def test_risky_discharge_plans_the_three_items(store: Store) -> None:
    discharge(store)
    rows = store.followups()
    assert [(r.plan_item, r.state, r.due_at) for r in rows] == [
        ("pelvic-floor-call-2d", PENDING, T0 + timedelta(days=2)),
        ("pelvic-floor-check-6w", PENDING, T0 + timedelta(weeks=6)),
        ("pelvic-floor-check-3m", PENDING, T0.replace(month=6)),
    ]
    assert all(r.reason == "risk" and r.patient_id == "pat-1" for r in rows)
    assert rows[0].id == followup_id("enc-1", "pelvic-floor-call-2d")
    assert rows[0].overdue_at == rows[0].due_at + timedelta(days=1)


def test_the_same_hook_five_times_plans_once(store: Store) -> None:
    for _ in range(5):
        discharge(store)
    discharge(store, hook="hook-2")  # a new hookInstance for the same encounter
    assert len(store.followups()) == 3
    planned = store.audit_trail(actions=["planned"])
    assert len(planned) == 3
    assert len(store.audit_trail(actions=["evaluated"])) == 2


def test_a_discharge_is_audited_in_order(store: Store) -> None:
    discharge(store)
    trail = store.audit_trail()
    assert [e.action for e in trail] == ["evaluated", "planned", "planned", "planned"]
    assert len({e.evaluation_id for e in trail}) == 1 and trail[0].evaluation_id is not None
    assert trail[0].actor == "ehr:pfd-risk-discharge" and trail[0].followup_id is None
    assert trail[0].detail == {"hookInstance": "hook-1", "atRisk": True, "phase": "postpartum",
                               "trigger": "risk", "plans": "risk"}
    assert trail[1].followup_id == followup_id("enc-1", "pelvic-floor-call-2d")
    assert trail[1].detail == {"item": "pelvic-floor-call-2d", "reason": "risk",
                               "due": (T0 + timedelta(days=2)).isoformat()}


def test_a_naive_discharge_moment_is_refused(store: Store) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        discharge(store, at=T0.replace(tzinfo=None))
    assert store.followups() == []


def test_trigger_risk_ignores_a_discharge_without_risk(store: Store) -> None:
    discharge(store, evaluation=FakeEvaluation(at_risk=False))
    discharge(store, hook="h-ante", encounter="enc-2", evaluation=FakeEvaluation(phase="antenatal"))
    assert store.followups() == []


def test_trigger_all_postpartum(store_factory: Any) -> None:
    store = store_factory(followup_trigger="all-postpartum")
    discharge(store, evaluation=FakeEvaluation(at_risk=False))
    assert {r.reason for r in store.followups()} == {"postpartum"}


def test_trigger_accepted_plans_on_the_followup_suggestion_once(store_factory: Any) -> None:
    store = store_factory(followup_trigger="accepted")
    discharge(store)
    assert store.followups() == []
    _feedback(store, "accepted", accepted=["some-other-suggestion"])
    assert store.followups() == []
    for _ in range(3):
        _feedback(store, "accepted", accepted=[followup_suggestion_uuid(CARD)],
                  at=T0 + timedelta(minutes=9))
    rows = store.followups()
    assert len(rows) == 3 and {r.reason for r in rows} == {"accepted"}


def test_override_already_referred_cancels_pending(store: Store) -> None:
    discharge(store)
    _feedback(store, "overridden", override={"reason": {"code": "not-applicable"}})
    assert {r.state for r in store.followups()} == {PENDING}
    _feedback(store, "overridden", override={"reason": {"code": "already-referred"}},
              at=T0 + timedelta(minutes=7))
    rows = store.followups()
    assert {r.state for r in rows} == {CANCELLED}
    assert rows[0].last_error == "override: already-referred"
    cancelled = store.audit_trail(actions=["cancelled"])
    assert len(cancelled) == 3 and cancelled[0].actor == "ehr:pfd-risk-discharge"


def test_feedback_is_idempotent_and_unknown_cards_are_kept(store: Store) -> None:
    for _ in range(3):
        _feedback(store, "accepted", card="not-a-known-card")
    assert len(store.audit_trail(actions=["feedback"])) == 1
