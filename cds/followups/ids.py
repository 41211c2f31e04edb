"""Stable ids. The same discharge always yields the same follow-up ids and Task identifiers,
which is what makes a repeated hook, a redelivered message or a retried write harmless.
"""

from __future__ import annotations

import uuid

# Fixed for the life of the service: changing it would re-plan every follow-up under new ids.
NAMESPACE = uuid.UUID("6f1d2a8e-3b5c-4f0e-9a47-2c9d8e1b7f35")


def followup_id(encounter_id: str, item_id: str) -> str:
    """One follow-up per (encounter, plan item); also the Task's id and identifier value."""
    return str(uuid.uuid5(NAMESPACE, f"followup|{encounter_id}|{item_id}"))


def followup_suggestion_uuid(card_uuid: str) -> str:
    """The uuid of a card's "plan the follow-ups" suggestion (trigger `accepted`).

    The hooks package gives that suggestion this uuid (the same child scheme as its other
    suggestions: uuid5 of the card uuid and a name), so feedback that accepts it is recognised
    without storing suggestions.
    """
    try:
        return str(uuid.uuid5(uuid.UUID(card_uuid), "followups"))
    except ValueError:
        return str(uuid.uuid5(NAMESPACE, f"followup-suggestion|{card_uuid}"))
