"""Where the hooks meet the store (`cds.store`, owned by the store engineer).

SEAM: until `cds.store.create_store` exists, an in-process stand-in keeps the same contract so
the hooks can be built and tested. It is NOT durable; `create_app` logs loudly when it is used.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Protocol

from cds.config import Settings

log = logging.getLogger("cds.hooks")


class HookStore(Protocol):
    def record_feedback(
        self, *, service_id: str, card_uuid: str, outcome: str,
        accepted_suggestions: list[str], override_reason: dict[str, Any] | None,
        outcome_timestamp: datetime,
    ) -> None: ...

    def record_discharge(
        self, *, hook_instance: str, service_id: str, patient_id: str, encounter_id: str,
        discharge_at: datetime, evaluation: Any, card_uuids: list[str], knowledge_version: str,
    ) -> None: ...


class InProcessStore:
    """Stand-in with the store contract: idempotent, kept in memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.feedback: dict[tuple[str, str, str, datetime], dict[str, Any]] = {}
        self.discharges: dict[tuple[str, str], dict[str, Any]] = {}

    def record_feedback(self, **item: Any) -> None:
        key = (item["service_id"], item["card_uuid"], item["outcome"], item["outcome_timestamp"])
        with self._lock:
            self.feedback[key] = item

    def record_discharge(self, **item: Any) -> None:
        with self._lock:
            self.discharges[(item["service_id"], item["encounter_id"])] = item


def create_hook_store(settings: Settings) -> HookStore:
    try:
        from cds.store import create_store  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        log.warning("cds.store is not available: feedback and discharges are kept in memory only")
        return InProcessStore()
    store: HookStore = create_store(settings)
    return store
