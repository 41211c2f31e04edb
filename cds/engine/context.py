"""The per-evaluation context: the index, the anchors (delivery, pregnancy start, as_of) and the
checks every criterion shares (status, validity, time windows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from cds.fhir.dates import parse_duration, shift
from cds.fhir.index import ResourceIndex, codings
from cds.fhir.validate import Validator
from cds.knowledge.model import Anchor, Code, Knowledge, Window

from .findings import Delivery, Pregnancy

T = TypeVar("T")


def reference_of(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id', '?')}"


class EvalContext:
    def __init__(self, kb: Knowledge, index: ResourceIndex) -> None:
        self.kb = kb
        self.index = index
        self.as_of = index.as_of
        self.validator = Validator()
        self.notes: list[str] = []
        self.delivery: Delivery | None = None
        self.delivery_encounter: dict[str, Any] | None = None
        self.pregnancy: Pregnancy | None = None
        self._noted: set[int] = set()
        ctx = kb.context
        self.never = frozenset(ctx["never_statuses"])
        self.active_statuses = frozenset(ctx["active_clinical_statuses"])
        self.margin = parse_duration(ctx["delivery"]["episode_margin"])
        self._moments: dict[tuple[Any, ...], datetime] = {}
        self._episodes: dict[tuple[Any, ...], tuple[datetime, datetime]] = {}

    # -- anchors --------------------------------------------------------------------------
    def anchors(self) -> dict[str, datetime]:
        found = {"as_of": self.as_of}
        if self.delivery:
            found["delivery"] = self.delivery.start
            found["delivery_end"] = self.delivery.end
        if self.pregnancy:
            found["pregnancy_start"] = self.pregnancy.start
        return found

    def moment(self, anchor: Anchor) -> datetime | None:
        base = self.anchors().get(anchor.anchor)
        if base is None:
            return None
        if not anchor.offset:
            return base
        # Windows are placed once per anchor value, not once per resource looked at.
        # The zone is part of the key: calendar arithmetic (months) happens on the local clock.
        key = (base, base.tzinfo, anchor.offset)
        moment = self._moments.get(key)
        if moment is None:
            moment = self._moments[key] = shift(base, parse_duration(anchor.offset))
        return moment

    # -- status and validity --------------------------------------------------------------
    def usable(self, resource: dict[str, Any], override: dict[str, tuple[str, ...]] | None = None) -> bool:
        """Counts as data: no never-status, an allowed status, and valid FHIR R4 (noted once if not)."""
        error = self.validator.error(resource)
        if error is not None:
            if id(resource) not in self._noted:
                self._noted.add(id(resource))
                self.notes.append(f"{reference_of(resource)} skipped: not valid FHIR R4 ({error})")
            return False
        allowed = override or self.kb.context["statuses"].get(resource["resourceType"], {})
        for element in ("status", "verificationStatus", "clinicalStatus"):
            value = status_code(resource.get(element))
            if value is None:
                continue
            if value in self.never:
                return False
            if element in allowed and value not in allowed[element]:
                return False
        return True

    def latest_usable(
        self,
        candidates: list[T],
        when: Callable[[T], Any],
        resource: Callable[[T], dict[str, Any]],
        override: dict[str, tuple[str, ...]] | None = None,
    ) -> T | None:
        """The latest usable candidate (ties: the earliest in the input), validating only as far as needed.

        Same answer as `max` over the usable candidates, but a long history is not validated
        whole to find its latest valid entry: validation is the costly step.
        """
        for candidate in sorted(candidates, key=when, reverse=True):  # stable: input order on ties
            if self.usable(resource(candidate), override):
                return candidate
        return None

    # -- time -----------------------------------------------------------------------------
    def in_delivery(self, resource: dict[str, Any]) -> bool:
        if self.delivery is None:
            return False
        if self.delivery_encounter is not None:
            linked = self.index.resolve(resource.get("encounter") or resource.get("context"))
            if linked is self.delivery_encounter:
                return True
        start = self.index.interval(resource)[0]
        if start is None:
            return False
        lo, hi = self._episode(self.delivery.start, self.delivery.end)
        return lo <= start <= hi

    def _episode(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """The delivery episode (start and end widened by the margin), placed once per delivery."""
        key = (start, start.tzinfo, end, end.tzinfo)
        bounds = self._episodes.get(key)
        if bounds is None:
            bounds = self._episodes[key] = (shift(start, -self.margin), shift(end, self.margin))
        return bounds

    def in_window(self, resource: dict[str, Any], window: Window) -> bool:
        if window.delivery_episode:
            return self.in_delivery(resource)
        start = self.index.interval(resource)[0]
        if start is None:
            return False
        lo = self.moment(window.start) if window.start else None
        hi = self.moment(window.end) if window.end else None
        if (window.start and lo is None) or (window.end and hi is None):
            return False  # the anchor is unknown: the window cannot be placed
        return (lo is None or start >= lo) and (hi is None or start <= hi)

    def active_at(self, resource: dict[str, Any], moment: datetime) -> bool:
        """A Condition active at `moment`: begun by then, and not abated by then."""
        onset, abated = self.index.interval(resource)
        if onset is None or onset > moment:
            return False
        if abated is not None:
            return abated > moment
        status = status_code(resource.get("clinicalStatus"))
        return status is None or status in self.active_statuses

    # -- codes ----------------------------------------------------------------------------
    def coding_in(self, concept: Any, codes: frozenset[Code]) -> dict[str, str] | None:
        for coding in codings(concept):
            key = (coding.get("system"), coding.get("code"))
            if key in codes:
                display = coding.get("display") or self.kb.valueset_displays.get(key)  # type: ignore[arg-type,unused-ignore]
                out = {"system": str(key[0]), "code": str(key[1])}
                if display:
                    out["display"] = str(display)
                return out
        return None


def status_code(value: Any) -> str | None:
    """A status as a plain code, from a code string or a CodeableConcept."""
    if isinstance(value, str):
        return value
    for coding in codings(value):
        if isinstance(coding.get("code"), str):
            return str(coding["code"])
    return None
