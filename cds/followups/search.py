"""FHIR search parameters of GET /fhir/Task, parsed strictly: a misspelt parameter is a 400,
not a silent "all Tasks".

    owner=CareTeam/x      Task.owner (the reference as configured)
    status=ready,in-progress
    patient=Patient/x | x Task.for
    period=[eq|ge|gt|le|lt]date   the due moment (Task.executionPeriod.start); repeatable, ANDed;
                          a date (YYYY-MM-DD) means the whole day
    _count=1..500 (50), _offset=n
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cds.errors import InputError
from cds.fhir.dates import parse_datetime

TASK_STATUSES = (
    "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
    "in-progress", "on-hold", "failed", "completed", "entered-in-error",
)
KNOWN = {"owner", "status", "patient", "period", "_count", "_offset", "_format"}


def _period(raw: str) -> list[tuple[str, datetime]]:
    prefix = raw[:2] if raw[:2] in ("eq", "ge", "gt", "le", "lt") else "eq"
    value = raw[2:] if raw[:2] == prefix else raw
    moment = parse_datetime(value)
    if moment is None:
        raise InputError(f"period: not a date: {value!r}")
    if len(value) == 10:  # a whole day
        start, end = moment, moment + timedelta(days=1)
        return {
            "eq": [("ge", start), ("lt", end)], "ge": [("ge", start)], "gt": [("ge", end)],
            "le": [("lt", end)], "lt": [("lt", start)],
        }[prefix]
    return [(prefix, moment)]


def _int(args: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int) -> int:
    values = args.get(name) or []
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise InputError(f"{name}: not a number") from None
    if not low <= value <= high:
        raise InputError(f"{name}: must be between {low} and {high}")
    return value


def _last(args: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = args.get(name) or []
    return values[-1] if values else None


def task_filters(args: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Keyword arguments for Store.search_tasks from the query's parameters (name -> values)."""
    unknown = sorted(set(args) - KNOWN)
    if unknown:
        raise InputError(f"unsupported search parameter: {unknown[0]}")
    statuses: list[str] = []
    for raw in args.get("status") or []:
        for status in raw.split(","):
            if status not in TASK_STATUSES:
                raise InputError(f"status: unknown Task status {status!r}")
            statuses.append(status)
    patient = _last(args, "patient")
    if patient and patient.startswith("Patient/"):
        patient = patient[len("Patient/"):]
    due: list[tuple[str, datetime]] = []
    for raw in args.get("period") or []:
        due.extend(_period(raw))
    return {
        "owner": _last(args, "owner"),
        "statuses": statuses,
        "patient_id": patient or None,
        "due": due,
        "count": _int(args, "_count", 50, 1, 500),
        "offset": _int(args, "_offset", 0, 0, 10**9),
    }
