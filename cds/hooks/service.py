"""One CDS service call: validate, gather FHIR data, evaluate as of the right moment, build cards.

Evaluation moment: for encounter-discharge the end of the encounter being discharged when it is
in the data and has ended, else now; for patient-view now. After the cards, discharges go to the
store's outbox (follow-ups); a store failure there is logged and counted, never fatal to the hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cds.cards import build_cards
from cds.engine import evaluate
from cds.errors import HookRequestError, NotFhirError
from cds.fhir.dates import parse_datetime
from cds.hooks import prefetch
from cds.hooks.actions import Subject
from cds.hooks.decorate import decorate
from cds.hooks.discovery import DISCHARGE, Service
from cds.hooks.fhir_client import FhirClient
from cds.hooks.store_seam import HookStore
from cds.knowledge import Knowledge

log = logging.getLogger("cds.hooks")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class CallEnv:
    """What a call needs from the app, injected so tests need no patching."""

    kb: Knowledge
    store: HookStore
    clock: Callable[[], datetime]
    fhir_client: Callable[[str | None, str | None], FhirClient]
    allow_http_fhir: bool
    on_fhir_failure: Callable[[str], None]
    on_store_failure: Callable[[], None]
    offer_followups: bool = False  # trigger `accepted`: the discharge risk card offers to plan them


def call(env: CallEnv, service: Service, req: dict[str, Any], *, lang: str, base_url: str,
         smart_app_url: str | None) -> list[dict[str, Any]]:
    ctx: dict[str, str] = req["context"]
    server = req.get("fhirServer")
    if server:
        _check_server(server, env.allow_http_fhir)
    token = req.get("fhirAuthorization", {}).get("access_token")
    values = prefetch.gather(
        service.prefetch, req.get("prefetch") or {}, ctx,
        lambda: env.fhir_client(server, token) if server else None,
        env.on_fhir_failure,
    )
    _check_identity(values, ctx)
    resources = prefetch.resources(values)
    now = env.clock()
    as_of = _moment(resources, ctx.get("encounterId"), now) if service.hook == (
        "encounter-discharge") else now
    evaluation = evaluate(env.kb, resources, as_of=as_of, encounter_id=ctx.get("encounterId"),
                          patient_id=ctx["patientId"], lang=lang)
    subject = Subject(ctx["patientId"], ctx.get("encounterId"), ctx["userId"])
    cards = decorate(build_cards(env.kb, evaluation, lang), kb_version=env.kb.version,
                     subject=subject, lang=lang, base_url=base_url, smart_app_url=smart_app_url,
                     suggestion_codes=env.kb.texts["suggestions"],
                     offer_followups=env.offer_followups and service.id == DISCHARGE
                     and evaluation.phase == "postpartum")
    if service.id == DISCHARGE:
        _record_discharge(env, str(req["hookInstance"]), service, ctx, as_of, evaluation, cards)
    return cards


def _check_server(url: str, allow_http: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or (
        parts.scheme == "http" and (allow_http or parts.hostname in _LOOPBACK)
    ):
        return
    raise HookRequestError("fhirServer: must use https")


def _check_identity(values: dict[str, Any], ctx: dict[str, str]) -> None:
    """A prefetched Patient or Encounter with another id than the context is the wrong data."""
    for key, field in (("patient", "patientId"), ("encounter", "encounterId")):
        value = values.get(key)
        if isinstance(value, dict) and value.get("resourceType") != "Bundle":
            expected = key.capitalize()
            if value.get("resourceType") != expected or value.get("id") != ctx.get(field):
                raise NotFhirError(f"prefetch {key!r} is not the {expected} of context.{field}")


def _moment(resources: list[dict[str, Any]], encounter_id: str | None, now: datetime) -> datetime:
    for resource in resources:
        if resource.get("resourceType") == "Encounter" and resource.get("id") == encounter_id:
            period = resource.get("period")
            end = period.get("end") if isinstance(period, dict) else None
            moment = parse_datetime(end) if isinstance(end, str) else None
            if moment is not None and moment <= now:
                return moment
    return now


def _record_discharge(env: CallEnv, hook_instance: str, service: Service, ctx: dict[str, str],
                      at: datetime, evaluation: Any, cards: list[dict[str, Any]]) -> None:
    try:
        env.store.record_discharge(
            hook_instance=hook_instance, service_id=service.id, patient_id=ctx["patientId"],
            encounter_id=ctx["encounterId"], discharge_at=at, evaluation=evaluation,
            card_uuids=[c["uuid"] for c in cards], knowledge_version=env.kb.version,
        )
    except Exception as exc:  # the hook answer matters more than the follow-up plan
        log.error("record_discharge failed: %s", type(exc).__name__)
        env.on_store_failure()
