"""How a care coordinator changes a Task: JSON Patch (RFC 6902, FHIR's PATCH format) limited
to what the worklist needs, checked against the allowed status changes.

    [{"op": "replace", "path": "/status", "value": "in-progress" | "completed" | "cancelled"},
     {"op": "add", "path": "/note/-", "value": {"text": "..."}},
     {"op": "test", "path": "/status" | "/meta/versionId", "value": ...}]

Cancelling needs a note (the reason). The note's author and time are set here, from the
authenticated user and the clock, never taken from the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cds.errors import ConflictError, InputError
from cds.followups.task import fhir_instant
from cds.store import TaskRecord

TRANSITIONS = {
    "ready": {"in-progress", "completed", "cancelled"},
    "in-progress": {"completed", "cancelled"},
}
_STATUS_PATHS = ("/status",)


def parse_patch(ops: Any) -> tuple[str | None, str | None, list[tuple[str, Any]]]:
    """(new status, note text, tests) from a JSON Patch document; InputError when unsupported."""
    if not isinstance(ops, list) or not ops:
        raise InputError("the body must be a non-empty JSON Patch array")
    status: str | None = None
    note: str | None = None
    tests: list[tuple[str, Any]] = []
    for op in ops:
        if not isinstance(op, dict):
            raise InputError("each patch operation must be an object")
        kind, path, value = op.get("op"), op.get("path"), op.get("value")
        if kind in ("replace", "add") and path in _STATUS_PATHS:
            if not isinstance(value, str):
                raise InputError("/status must be a string")
            status = value
        elif kind == "add" and path == "/note/-":
            text = value.get("text") if isinstance(value, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise InputError("/note/- needs an Annotation with text")
            note = text.strip()[:4000]
        elif kind == "test" and path in ("/status", "/meta/versionId"):
            tests.append((path, value))
        else:
            raise InputError(f"unsupported patch operation {kind} {path}")
    if status is None and note is None:
        raise InputError("nothing to change: give /status or /note/-")
    return status, note, tests


def apply_change(current: TaskRecord, now: datetime, *, status: str | None, note: str | None,
                 tests: list[tuple[str, Any]], actor: str) -> dict[str, Any]:
    """The Task after the change; ConflictError when the status may not change that way."""
    served = current.fhir()
    for path, expected in tests:
        actual = served["status"] if path == "/status" else served["meta"]["versionId"]
        if str(actual) != str(expected):
            raise ConflictError(f"test failed: {path} is {actual}")
    resource = dict(current.resource)
    if status is not None and status != current.status:
        if status not in TRANSITIONS.get(current.status, set()):
            raise ConflictError(f"a {current.status} Task cannot become {status}")
        if status == "cancelled" and note is None:
            raise InputError("cancelling a Task needs a note with the reason")
        resource["status"] = status
    if note is not None:
        resource["note"] = [*resource.get("note", []),
                            {"authorString": actor, "time": fhir_instant(now), "text": note}]
    resource["lastModified"] = fhir_instant(now)
    return resource
