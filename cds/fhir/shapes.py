"""Validate the resources the service builds once per shape, not once per resource.

The service builds Tasks and suggestion resources from templates; between two of them only some
values differ: reference texts, ids and identifier values made from uuids, instants formatted
from aware datetimes, free text. Each such value is checked here against the FHIR type's own
rule (a string is any non-empty text; an id matches [A-Za-z0-9-.]{1,64}; an instant is a full
date-time with a zone) and, when it passes, replaced by a fixed placeholder; a value that does
not pass stays, so the model still sees it. The resource with placeholders decides validity:
fhir.resources validation (about 100 us a resource) runs once per shape, remembered (bounded).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
KINDS = ("string", "id", "instant")


def _placeholder(kind: str, value: Any) -> Any:
    """The fixed stand-in for `value` when it is valid as `kind`, else `value` itself."""
    if not isinstance(value, str) or not value:
        return value
    if kind == "id":
        return "x" if _ID.fullmatch(value) else value
    if kind == "instant":
        return "2000-01-01T00:00:00Z" if _is_instant(value) else value
    return "x"


def _is_instant(value: str) -> bool:
    if not _INSTANT.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:  # e.g. month 13
        return False
    return True


def _blank(node: Any, path: tuple[str, ...], kind: str) -> Any:
    """A copy of `node` with the value at `path` (lists walked through) replaced by its stand-in."""
    if isinstance(node, list):
        return [_blank(item, path, kind) for item in node]
    if not path:
        return _placeholder(kind, node)
    if not isinstance(node, dict) or path[0] not in node:
        return node
    return {**node, path[0]: _blank(node[path[0]], path[1:], kind)}


class ShapeValidator:
    """`model.model_validate(resource)` for resources whose varying values are listed as paths."""

    def __init__(self, model: Any, varying: Iterable[tuple[str, str]], limit: int = 1024) -> None:
        self._model = model
        self._varying = [(tuple(path.split(".")), kind) for path, kind in varying]
        unknown = {kind for _, kind in self._varying} - set(KINDS)
        if unknown:
            raise ValueError(f"unknown value kinds {sorted(unknown)}; known: {KINDS}")
        self._valid: set[bytes] = set()
        self._limit = limit

    def validate(self, resource: dict[str, Any]) -> None:
        """Raise pydantic's ValidationError unless `resource` is valid (see the module docstring)."""
        shape: Any = resource
        for path, kind in self._varying:
            shape = _blank(shape, path, kind)
        key = orjson.dumps(shape, option=orjson.OPT_SORT_KEYS)
        if key in self._valid:
            return
        self._model.model_validate(resource)
        if len(self._valid) < self._limit:
            self._valid.add(key)
