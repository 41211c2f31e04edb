"""`cds evaluate BUNDLE.json`: findings and cards for one patient, as text or JSON."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cds.cards import build_cards
from cds.engine import Evaluation, evaluate
from cds.engine.moment import discharge_moment, find_encounter
from cds.errors import InputError, NotFoundError
from cds.fhir import ParsedInput, parse_input
from cds.fhir.dates import parse_moment
from cds.knowledge import Knowledge, load_knowledge

MARKS = {"present": "[+]", "absent": "[-]", "unknown": "[?]"}


def register(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="evaluate a FHIR Bundle (or prefetch JSON) and print findings and cards")
    p.add_argument("bundle", help="path to a FHIR Bundle, resource or CDS Hooks prefetch object (JSON)")
    p.add_argument("--encounter", help="the discharge encounter id: its delivery and its end are used")
    p.add_argument("--as-of", dest="as_of", help="evaluation moment (ISO 8601); default: the encounter's end, else now")
    p.add_argument("--lang", choices=("nl", "en"), default="nl")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules-dir", type=Path, help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def read_input(path: str) -> ParsedInput:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return parse_input(data)
    except InputError as exc:
        raise type(exc)(f"{path}: {exc.message}") from None


def moment_for(parsed: ParsedInput, as_of: str | None, encounter_id: str | None) -> datetime:
    """--as-of, else the end of the given encounter (the discharge), else now."""
    if as_of:
        try:
            return parse_moment(as_of)
        except ValueError as exc:
            raise InputError(f"--as-of: {exc}") from None
    now = datetime.now(UTC)
    if encounter_id:
        encounter = find_encounter(parsed.resources, encounter_id)
        if encounter is None:
            raise NotFoundError(f"encounter {encounter_id} is not in the input")
        return discharge_moment(encounter, now)
    return now


def render_text(kb: Knowledge, ev: Evaluation, cards: list[dict[str, Any]]) -> str:
    en = ev.lang == "en"
    out = [
        f"{'Patient' if en else 'Patiënt'} {ev.patient_id or '?'} — "
        f"{'as of' if en else 'per'} {ev.as_of.isoformat()} ({ev.phase})"
    ]
    if ev.delivery:
        d = ev.delivery
        what = (d.code or {}).get("display", d.reference)
        out.append(f"{'Delivery' if en else 'Bevalling'}: {what}, {d.start.date()} ({d.encounter or d.reference})")
    if ev.pregnancy:
        out.append(
            f"{'Pregnancy start' if en else 'Begin zwangerschap'}: {ev.pregnancy.start.date()} ({ev.pregnancy.source})"
        )
    for kind, label in (
        ("risk-factor", "Risk factors" if en else "Risicofactoren"),
        ("complaint", "Complaints" if en else "Klachten"),
    ):
        rows = [f for f in ev.findings if f.kind == kind]
        if rows:
            out += ["", label]
            out += [f"  {MARKS[f.status]} {'/'.join(f.leaflet):<9} {f.title}\n        {f.reason}" for f in rows]
    if cards:
        out += ["", "Cards" if en else "Kaarten"]
        out += [f"  ({c['indicator']}) {c['summary']}" for c in cards]
    if ev.notes:
        out += ["", "Data quality" if en else "Datakwaliteit"]
        out += [f"  - {n}" for n in ev.notes]
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace) -> int:
    parsed = read_input(args.bundle)
    as_of = moment_for(parsed, args.as_of, args.encounter)
    kb = load_knowledge(args.rules_dir)
    ev = evaluate(kb, parsed, as_of=as_of, encounter_id=args.encounter, lang=args.lang)
    cards = build_cards(kb, ev, args.lang)
    if args.format == "json":
        doc = ev.to_json()
        doc["cards"] = cards
        sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        sys.stdout.write(render_text(kb, ev, cards))
    return 0
