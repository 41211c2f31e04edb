"""What an evaluation produces: three-valued findings with their evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PRESENT, ABSENT, UNKNOWN = "present", "absent", "unknown"


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class Evidence:
    reference: str
    resource_type: str
    yields: str
    code: dict[str, str] | None = None
    date: datetime | None = None
    value: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reference": self.reference, "resourceType": self.resource_type, "supports": self.yields}
        if self.code:
            out["code"] = self.code
        if self.date:
            out["date"] = iso(self.date)
        if self.value is not None:
            out["value"] = self.value
        return out

    def summary(self) -> str:
        what = (self.code or {}).get("display") or (self.code or {}).get("code") or self.resource_type
        parts = [what]
        if self.value is not None:
            parts.append(self.value)
        if self.date:
            parts.append(self.date.date().isoformat())
        return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    rule: str
    version: str
    kind: str
    leaflet: tuple[str, ...]
    status: str
    evidence: tuple[Evidence, ...]
    reason: str
    title: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "version": self.version,
            "kind": self.kind,
            "title": self.title,
            "leaflet": list(self.leaflet),
            "status": self.status,
            "evidence": [e.to_json() for e in self.evidence],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Delivery:
    reference: str
    start: datetime
    end: datetime
    encounter: str | None
    code: dict[str, str] | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reference": self.reference, "date": iso(self.start), "end": iso(self.end)}
        if self.encounter:
            out["encounter"] = self.encounter
        if self.code:
            out["code"] = self.code
        return out


@dataclass(frozen=True)
class Pregnancy:
    start: datetime
    source: str  # "condition" | "assumed" (delivery minus the assumed length)
    reference: str | None = None
    current: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": iso(self.start), "startFrom": self.source, "current": self.current}
        if self.reference:
            out["reference"] = self.reference
        return out


@dataclass
class Evaluation:
    patient_id: str | None
    as_of: datetime
    phase: str  # postpartum | antenatal | not-applicable
    lang: str
    knowledge_version: str
    delivery: Delivery | None = None
    pregnancy: Pregnancy | None = None
    encounter_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def at_risk(self) -> bool:
        return any(f.kind == "risk-factor" and f.status == PRESENT for f in self.findings)

    def by_status(self, status: str, kind: str = "risk-factor") -> list[Finding]:
        return [f for f in self.findings if f.status == status and f.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "patient": self.patient_id,
            "asOf": iso(self.as_of),
            "phase": self.phase,
            "knowledgeVersion": self.knowledge_version,
            "delivery": self.delivery.to_json() if self.delivery else None,
            "pregnancy": self.pregnancy.to_json() if self.pregnancy else None,
            "findings": [f.to_json() for f in self.findings],
            "dataQuality": list(self.notes),
        }
