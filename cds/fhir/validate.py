"""Validate single resources with fhir.resources' R4B models, only when a rule uses them.

Validating a whole bundle costs ~50x its JSON parse, so the engine calls this only for the
resources that became evidence or anchors. Models are imported on first use.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from pydantic import ValidationError


@lru_cache(maxsize=64)
def model_for(resource_type: str) -> Any:
    """The fhir.resources R4B model class for a resource type (the package default is R5)."""
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def validation_error(resource: dict[str, Any]) -> str | None:
    """None when the resource is valid FHIR R4, else a short description without data values."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str):
        return "no resourceType"
    try:
        model = model_for(rtype)
    except (ImportError, AttributeError):
        return f"unknown resource type {rtype}"
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where or rtype}: {first.get('type', 'invalid')}"
    except (ValueError, TypeError) as exc:
        return type(exc).__name__
    return None


class Validator:
    """Per-evaluation cache so a resource used by several rules is validated once."""

    def __init__(self) -> None:
        self._seen: dict[int, str | None] = {}

    def error(self, resource: dict[str, Any]) -> str | None:
        key = id(resource)
        if key not in self._seen:
            self._seen[key] = validation_error(resource)
        return self._seen[key]
