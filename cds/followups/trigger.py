"""When follow-ups are planned or cancelled (CDS_FOLLOWUP_TRIGGER), as pure functions.

    risk            at discharge, when the postpartum evaluation finds a risk factor present
    all-postpartum  at discharge, for every postpartum evaluation
    accepted        when feedback accepts the card's follow-up suggestion
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from cds.followups.ids import followup_suggestion_uuid
from cds.followups.plan import Plan


class EvaluationLike(Protocol):
    """What the store needs of an evaluation (cds.engine.Evaluation has it)."""

    @property
    def at_risk(self) -> bool: ...

    phase: str

    def to_json(self) -> dict[str, Any]: ...


def reason_at_discharge(trigger: str, evaluation: EvaluationLike) -> str | None:
    """The plan reason key ("risk" or "postpartum") when this discharge plans follow-ups."""
    if evaluation.phase != "postpartum" or trigger == "accepted":
        return None
    if evaluation.at_risk:
        return "risk"
    return "postpartum" if trigger == "all-postpartum" else None


def accepts_followups(card_uuid: str, accepted_suggestions: Iterable[str]) -> bool:
    return followup_suggestion_uuid(card_uuid) in set(accepted_suggestions)


def override_code(override_reason: dict[str, Any] | None) -> str | None:
    """The code of a CDS Hooks 2.0 overrideReason ({"reason": Coding, "userComment"})."""
    if not isinstance(override_reason, dict):
        return None
    reason = override_reason.get("reason", override_reason)
    code = reason.get("code") if isinstance(reason, dict) else None
    return code if isinstance(code, str) else None


def cancels(plan: Plan, override_reason: dict[str, Any] | None) -> bool:
    return override_code(override_reason) in plan.cancel_on_override
