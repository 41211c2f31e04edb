"""Feedback from the EHR on our cards: validated, stored per card uuid, idempotent.

The spec defines no response body; we answer 200 with none. A store failure is a 503 so the EHR
may retry (repeats are harmless: the store keys feedback by card, outcome and timestamp).
"""

from __future__ import annotations

from typing import Any

from cds.errors import CdsError, StoreError
from cds.hooks.schema import load_feedback
from cds.hooks.store_seam import HookStore


def record(store: HookStore, service_id: str, doc: Any) -> list[str]:
    """Store every item; returns their outcomes (for metrics)."""
    items = load_feedback(doc)
    for item in items:
        reason = item.get("overrideReason")
        try:
            store.record_feedback(
                service_id=service_id,
                card_uuid=item["card"],
                outcome=item["outcome"],
                accepted_suggestions=[s["id"] for s in item.get("acceptedSuggestions", [])],
                override_reason=_plain(reason) if reason else None,
                outcome_timestamp=item["outcomeTimestamp"],
            )
        except CdsError:
            raise
        except Exception as exc:
            raise StoreError(f"feedback could not be stored ({type(exc).__name__})") from None
    return [item["outcome"] for item in items]


def _plain(reason: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reason.get("reason"):
        out["reason"] = dict(reason["reason"])
    if reason.get("userComment"):
        out["userComment"] = reason["userComment"]
    return out
