"""Sections 1 and 2: the in-process cost of one hook call against `orjson.loads` of the same
body (the physical limit: the body has to be parsed once), and against a naive first attempt
that validates every prefetched resource with fhir.resources R4B models before evaluating.

The handler timed is the one the Flask view runs: `load_hook_request` on the parsed body,
`cds.hooks.service.call` (prefetch, identity check, discharge moment, evaluate, build and decorate
cards) and `orjson.dumps` of the answer, with an in-memory store (the store write is measured
over HTTP, section 3).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from bench.data import HookCase
from cds.hooks import service as service_mod
from cds.hooks.discovery import DISCHARGE, Service
from cds.hooks.schema import load_hook_request
from cds.hooks.store_seam import InProcessStore
from cds.knowledge import Knowledge
from cds.runtime import settle_heap

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)  # fixed: same answers run after run


class Handler:
    """Request body bytes -> response body bytes, as the view does it (no HTTP, no JWT)."""

    def __init__(self, kb: Knowledge, services: dict[str, Service]) -> None:
        self.kb = kb
        self.service = services[DISCHARGE]
        self.env = service_mod.CallEnv(
            kb=kb, store=InProcessStore(), clock=lambda: NOW, fhir_client=_no_fhir,
            allow_http_fhir=False, on_fhir_failure=lambda reason: None, on_store_failure=lambda: None,
        )

    def __call__(self, body: bytes) -> bytes:
        return self.handle_doc(orjson.loads(body))

    def handle_doc(self, doc: Any) -> bytes:
        req = load_hook_request(doc, self.service.hook)
        cards = service_mod.call(self.env, self.service, req, lang="nl", base_url="http://127.0.0.1:8080",
                                 smart_app_url=None)
        return orjson.dumps({"cards": cards})


def _no_fhir(server: str | None, token: str | None) -> Any:
    raise AssertionError("the in-process benchmark sends full prefetch")


class NaiveHandler:
    """A first attempt: validate every prefetched resource (fhir.resources R4B), then evaluate."""

    def __init__(self, handler: Handler) -> None:
        from fhir.resources.R4B import get_fhir_model_class

        self.handler = handler
        self.model = get_fhir_model_class
        self.invalid = 0

    def __call__(self, body: bytes) -> bytes:
        doc = orjson.loads(body)
        for value in (doc.get("prefetch") or {}).values():
            if isinstance(value, dict):
                try:
                    self.model(value["resourceType"]).model_validate(value)
                except ValueError:  # pydantic's ValidationError; counted, the call goes on
                    self.invalid += 1
        return self.handler.handle_doc(doc)


def _time(fn: Callable[[], object], repeat: int, budget_s: float) -> list[float]:
    """Seconds per call, `repeat` times or until `budget_s` is spent (at least 3 calls)."""
    fn()  # warm: caches, first-call imports
    gc.collect()
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(out) < repeat and (len(out) < 3 or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


@dataclass
class CaseTiming:
    name: str
    resources: int
    body_bytes: int
    loads_s: float
    handler_s: float
    naive_s: float | None = None
    cards: int = 0

    @property
    def ratio(self) -> float:
        return self.handler_s / self.loads_s

    @property
    def per_resource_us(self) -> float:
        return self.handler_s / self.resources * 1e6

    @property
    def speedup(self) -> float | None:
        return self.naive_s / self.handler_s if self.naive_s else None


@dataclass
class InProcResult:
    cases: list[CaseTiming] = field(default_factory=list)
    invalid_in_naive: int = 0


def run(kb: Knowledge, services: dict[str, Service], cases: list[HookCase], *, quick: bool,
        naive: bool = True) -> InProcResult:
    handler = Handler(kb, services)
    settle_heap()  # as cds.wsgi and `cds serve` do once the app is built
    slow = NaiveHandler(handler)
    result = InProcResult()
    repeat, budget = (15, 0.5) if quick else (200, 4.0)
    for case in cases:
        body = case.body
        loads = statistics.median(_time(lambda b=body: orjson.loads(b), repeat * 2, budget))  # type: ignore[misc]
        handled = statistics.median(_time(lambda b=body: handler(b), repeat, budget))  # type: ignore[misc]
        timing = CaseTiming(case.name, case.resources, len(body), loads, handled,
                            cards=len(orjson.loads(handler(body))["cards"]))
        if naive:
            timing.naive_s = statistics.median(
                _time(lambda b=body: slow(b), max(3, repeat // 10), budget))  # type: ignore[misc]
        result.cases.append(timing)
    result.invalid_in_naive = slow.invalid
    return result
