"""Everything the hooks blueprint needs, built once by create_app and kept in app.extensions."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from flask import current_app
from requests.adapters import HTTPAdapter

from cds.config import Settings
from cds.hooks.discovery import Service
from cds.hooks.fhir_client import FhirClient
from cds.hooks.metrics import HookMetrics
from cds.hooks.store_seam import HookStore
from cds.knowledge import Knowledge
from cds.security import JwtVerifier

KEY = "cds.hooks"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HookState:
    settings: Settings
    kb: Knowledge
    services: dict[str, Service]
    verifier: JwtVerifier | None
    store: HookStore
    metrics: HookMetrics
    executor: ThreadPoolExecutor
    session: requests.Session
    clock: Callable[[], datetime] = utc_now

    def fhir_client(self, service_id: str) -> Callable[[str | None, str | None], FhirClient]:
        def make(base_url: str | None, token: str | None) -> FhirClient:
            return FhirClient(
                self.session, self.executor, base_url, token, self.settings.fhir_budget_s,
                on_call=self.metrics.fhir_calls.labels(service_id).inc,
            )
        return make


def fhir_session(pool_size: int) -> requests.Session:
    """One pooled session for all FHIR fallback calls: keep-alive across calls and threads."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def state() -> HookState:
    hook_state: HookState = current_app.extensions[KEY]
    return hook_state
