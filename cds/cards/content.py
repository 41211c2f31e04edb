"""Card content in Dutch or English from the findings: a risk card and an education card.

Clinical text comes from the leaflet statements by id and from rules/cards/texts.yaml; this
module only arranges it. The hooks package adds uuid, suggestions and links.
"""

from __future__ import annotations

from typing import Any

from cds.engine.findings import PRESENT, UNKNOWN, Evaluation, Finding
from cds.knowledge.model import Knowledge

SUMMARY_LIMIT = 139  # CDS Hooks: summary SHOULD be under 140 characters


def _t(text: dict[str, str], lang: str) -> str:
    return text[lang]


def _statement(kb: Knowledge, sid: str, lang: str) -> str:
    return str(kb.statements[sid][lang])


def _source(kb: Knowledge, lang: str) -> dict[str, Any]:
    src = kb.texts["source"]
    return {"label": _t(src["label"], lang), "url": src["url"], "topic": dict(src["topic"])}


def _fit(summary: str) -> str:
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1].rstrip(" ,;:") + "…"


def _finding_line(f: Finding, lang: str, none: str) -> str:
    ids = ", ".join(f.leaflet)
    details = "; ".join(e.summary() for e in f.evidence[:3] if e.yields == PRESENT) or none
    return f"- **{f.title}** ({ids}): {details}"


def risk_card(kb: Knowledge, ev: Evaluation, lang: str) -> dict[str, Any] | None:
    present = ev.by_status(PRESENT)
    if not present:
        return None
    t = kb.texts["risk"]
    template = _t(t["summary"], lang)
    factors = ", ".join(f.title for f in present)
    if len(template.format(factors=factors)) > SUMMARY_LIMIT:  # fall back to the leaflet ids
        factors = ", ".join("/".join(f.leaflet) for f in present)
    lines = [f"_{_t(t['intro'], lang)}_", "", f"### {_t(t['heading_present'], lang)}"]
    lines += [_finding_line(f, lang, _t(t["evidence_none"], lang)) for f in present]
    complaints = ev.by_status(PRESENT, kind="complaint")
    if complaints:
        lines += ["", f"### {_t(t['heading_complaints'], lang)}"]
        lines += [_finding_line(f, lang, _t(t["evidence_none"], lang)) for f in complaints]
    unknown = ev.by_status(UNKNOWN)
    if unknown:
        lines += ["", f"### {_t(t['heading_unknown'], lang)}"]
        lines += [f"- {f.title} ({', '.join(f.leaflet)}): {f.reason}" for f in unknown]
    lines += ["", f"### {_t(t['heading_advice'], lang)}"]
    lines += [f"- {_statement(kb, sid, lang)} ({sid})" for sid in t["advice_statements"]]
    lines += [f"- {_t(t['referral'], lang)} (" + "; ".join(t["referral"]["sources"]) + ")"]
    return {
        "summary": _fit(template.format(factors=factors)),
        "indicator": "warning",
        "detail": "\n".join(lines),
        "source": _source(kb, lang),
    }


def education_card(kb: Knowledge, ev: Evaluation, lang: str) -> dict[str, Any] | None:
    if ev.phase not in ("postpartum", "antenatal"):
        return None
    t = kb.texts["education"]
    timing = t["timing_postpartum"] if ev.phase == "postpartum" else t["timing_antenatal"]
    summary = t["summary_postpartum"] if ev.phase == "postpartum" else t["summary_antenatal"]
    lines = [f"{_statement(kb, sid, lang)} ({sid})" for sid in (*t["facts"], *timing)]
    lines += ["", f"### {_t(t['heading_exercises'], lang)}"]
    for sid in t["exercises"]:
        name = kb.statements[sid][f"name_{lang}"]
        lines.append(f"- **{name}** ({sid}): {_statement(kb, sid, lang)}")
    lines += ["", f"### {_t(t['heading_advice'], lang)}"]
    lines += [f"- {_statement(kb, sid, lang)} ({sid})" for sid in t["advice"]]
    unknown = ev.by_status(UNKNOWN)
    if unknown and not ev.by_status(PRESENT):
        lines += ["", f"### {_t(t['heading_unknown'], lang)}"]
        lines += [f"- {f.title} ({', '.join(f.leaflet)})" for f in unknown]
    lines += ["", *[f"_{_statement(kb, sid, lang)}_ ({sid})" for sid in t["questions"]]]
    return {
        "summary": _fit(_t(summary, lang)),
        "indicator": "info",
        "detail": "\n".join(lines),
        "source": _source(kb, lang),
    }


def build_cards(kb: Knowledge, evaluation: Evaluation, lang: str = "nl") -> list[dict[str, Any]]:
    """At most one risk card (warning) and one education card (info), risk first."""
    cards = [risk_card(kb, evaluation, lang), education_card(kb, evaluation, lang)]
    return [c for c in cards if c is not None]
