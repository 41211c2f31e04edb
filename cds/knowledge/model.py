"""The loaded knowledge as plain, immutable objects the engine reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Code = tuple[str, str]


@dataclass(frozen=True)
class Anchor:
    anchor: str  # as_of | delivery | delivery_end | pregnancy_start
    offset: str | None = None  # ISO 8601 duration, may be negative


@dataclass(frozen=True)
class Window:
    """Either the delivery episode, or a span between two anchored moments (either side open)."""

    name: str
    delivery_episode: bool = False
    start: Anchor | None = None
    end: Anchor | None = None


@dataclass(frozen=True)
class Criterion:
    resource: str
    yields: str = "present"
    code: str | None = None  # value set id
    category: str | None = None
    value_code: str | None = None
    value_quantity: dict[str, Any] | None = None  # {op, value, unit}
    relationship: str | None = None
    link_id: str | None = None
    threshold: dict[str, Any] | None = None  # BMI {op, value}
    window: Window | None = None
    active_at: Anchor | None = None
    status: dict[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    version: str
    kind: str
    leaflet: tuple[str, ...]
    phases: tuple[str, ...]
    title: dict[str, str]
    reasons: dict[str, dict[str, str]]
    sources: dict[str, Any]
    criteria: tuple[Criterion, ...]
    file: str = ""


@dataclass
class Knowledge:
    """Everything under rules/, validated: rules, value sets, statements, texts, context."""

    rules: list[Rule]
    valuesets: dict[str, frozenset[Code]]
    valueset_displays: dict[Code, str]
    statements: dict[str, dict[str, Any]]
    context: dict[str, Any]
    texts: dict[str, Any]
    questionnaires: dict[str, dict[str, Any]]
    version: str
    citations: set[str] = field(default_factory=set)
    reads: dict[str, set[Code]] = field(default_factory=dict)

    def codes(self, valueset: str | None) -> frozenset[Code]:
        return self.valuesets[valueset] if valueset else frozenset()
