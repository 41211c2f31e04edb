"""Complete the cards `cds.cards.build_cards` made with what needs the request: uuid, suggestions,
links, override reasons, and a source with url and topic.

The card uuid is a uuid5 of knowledge version, patient, encounter and card kind, so the same
situation gives the same card (feedback and stale-guidance replacement find it again).
"""

from __future__ import annotations

import uuid
from typing import Any

from cds.followups.ids import followup_suggestion_uuid
from cds.hooks.actions import Subject, leaflet, referral
from cds.hooks.texts import OVERRIDE_CODES, OVERRIDE_SYSTEM, TEXTS

CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bodem-cds:card")
TOPIC_SYSTEM = "urn:bodem-cds:CodeSystem:card-topic"
RISK, EDUCATION = "risk", "education"


def card_kind(card: dict[str, Any]) -> str:
    return EDUCATION if card.get("indicator") == "info" else RISK


def card_uuid(kb_version: str, subject: Subject, kind: str) -> str:
    name = "|".join((kb_version, subject.patient_id, subject.encounter_id or "-", kind))
    return str(uuid.uuid5(CARD_NAMESPACE, name))


def decorate(
    cards: list[dict[str, Any]],
    *,
    kb_version: str,
    subject: Subject,
    lang: str,
    base_url: str,
    suggestion_codes: dict[str, Any],
    smart_app_url: str | None = None,
    offer_followups: bool = False,
) -> list[dict[str, Any]]:
    """At most one risk card and one education card, each completed.

    `offer_followups`: add a "plan the follow-ups" suggestion (trigger `accepted`); its uuid is
    the one the store recognises in feedback (cds.followups.ids.followup_suggestion_uuid).
    """
    by_kind: dict[str, dict[str, Any]] = {}
    for card in cards:
        by_kind.setdefault(card_kind(card), card)
    t = TEXTS[lang]
    page = f"{base_url}/education?lang={lang}"
    out = []
    for kind in (RISK, EDUCATION):
        if kind not in by_kind:
            continue
        card = dict(by_kind[kind])
        cid = card_uuid(kb_version, subject, kind)
        card["uuid"] = cid
        card["source"] = _source(card.get("source"), kind, t, base_url)
        suggestions = []
        if kind == RISK:
            sid = _child(cid, "referral")
            suggestions.append(_suggestion(sid, t["referral_label"], t["referral_desc"],
                                           referral(subject, sid, lang, suggestion_codes)))
            if offer_followups:
                # No action: accepting it is the signal (feedback), and a "create" action would
                # need a resource for the EHR to create. The label says what accepting does.
                suggestions.append({"label": f'{t["followups_label"]}: {t["followups_desc"]}',
                                    "uuid": followup_suggestion_uuid(cid), "isRecommended": True})
        if kind == EDUCATION or EDUCATION not in by_kind:
            sid = _child(cid, "leaflet")
            suggestions.append(_suggestion(sid, t["leaflet_label"], t["leaflet_desc"],
                                           leaflet(subject, sid, lang, page)))
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
        card["overrideReasons"] = [
            {"system": OVERRIDE_SYSTEM, "code": code, "display": t[code]}
            for code in OVERRIDE_CODES
        ]
        card["links"] = _links(t, base_url, smart_app_url)
        out.append(card)
    return out


def _child(card_id: str, name: str) -> str:
    return str(uuid.uuid5(uuid.UUID(card_id), name))


def _suggestion(sid: str, label: str, description: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "uuid": sid,
        "isRecommended": True,
        "actions": [{"type": "create", "description": description, "resource": resource}],
    }


def _source(given: Any, kind: str, t: dict[str, str], base_url: str) -> dict[str, Any]:
    source = dict(given) if isinstance(given, dict) else {}
    source.setdefault("label", t["source_label"])
    url = source.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        source["url"] = f"{base_url}/education"
    source.setdefault("topic", {"system": TOPIC_SYSTEM, "code": f"pelvic-floor-{kind}",
                                "display": f"Pelvic floor {kind}"})
    return source


def _links(t: dict[str, str], base_url: str, smart_app_url: str | None) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = [
        {"label": t["link_nl"], "url": f"{base_url}/education?lang=nl", "type": "absolute"},
        {"label": t["link_en"], "url": f"{base_url}/education?lang=en", "type": "absolute"},
    ]
    if smart_app_url:
        links.append({"label": t["link_smart"], "url": smart_app_url, "type": "smart"})
    return links
