"""Prometheus metrics of the CDS Hooks service, one registry per app.

A registry per `create_app` keeps test apps independent. Under gunicorn with several workers set
PROMETHEUS_MULTIPROC_DIR: `/metrics` then aggregates every worker's files.
"""

from __future__ import annotations

import os

from flask import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)


class HookMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls = Counter(
            "cds_hook_calls", "CDS service calls by service and HTTP status",
            ["service", "status"], registry=r,
        )
        self.latency = Histogram(
            "cds_hook_latency_seconds", "Latency of CDS service calls", ["service"],
            buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0), registry=r,
        )
        self.cards = Counter(
            "cds_cards", "Cards returned, by indicator", ["service", "indicator"], registry=r,
        )
        self.fhir_calls = Counter(
            "cds_fhir_fallback_calls", "GETs to the EHR's FHIR server", ["service"], registry=r,
        )
        self.fhir_failures = Counter(
            "cds_fhir_fallback_failures", "Failed or timed-out FHIR GETs", ["service", "reason"],
            registry=r,
        )
        self.jwt_rejections = Counter(
            "cds_jwt_rejections", "JWTs refused, by reason", ["reason"], registry=r,
        )
        self.feedback = Counter(
            "cds_feedback_items", "Feedback items stored, by outcome", ["service", "outcome"],
            registry=r,
        )
        self.store_failures = Counter(
            "cds_store_failures", "Store writes that failed without failing the hook",
            ["operation"], registry=r,
        )
        self.unexpected_errors = Counter(
            "cds_unexpected_errors", "Requests that ended in the catch-all 500 handler",
            registry=r,
        )

    def jwt_rejected(self, reason: str) -> None:
        self.jwt_rejections.labels(reason).inc()

    def exposition(self) -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(self.registry), mimetype=CONTENT_TYPE_LATEST)
