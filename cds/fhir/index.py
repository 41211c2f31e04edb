"""Index the resources of one evaluation once: by type, by (type, system, code) and by reference.

Built for one evaluation moment: anything recorded or begun after it is left out here, so no
rule can see it. References are resolved through "Type/id", the entry fullUrl (urn:uuid:...)
and absolute URLs ending in Type/id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cds.fhir.dates import Interval, clinical_interval, known_at
from cds.fhir.parse import ParsedInput

Code = tuple[str, str]  # (system, code)


def codings(concept: Any) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept, tolerating missing or malformed parts."""
    if not isinstance(concept, dict):
        return []
    found = concept.get("coding")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def concept_codes(concept: Any) -> list[Code]:
    return [
        (c["system"], c["code"])
        for c in codings(concept)
        if isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
    ]


class ResourceIndex:
    """Resources known at `as_of`, indexed for the rules' look-ups."""

    def __init__(self, parsed: ParsedInput, as_of: datetime, patient_id: str | None = None) -> None:
        self.as_of = as_of
        self.by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.by_code: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.later = 0  # resources left out because they are after as_of
        self.other_patient = 0  # resources left out because they are about another patient
        self._position: dict[int, int] = {}  # id(resource) -> input position, for a stable order
        self._intervals: dict[int, Interval] = {}  # id(resource) -> clinical_interval, parsed once
        for resource in parsed.resources:
            rid = resource.get("id")
            if isinstance(rid, str):
                self.by_ref[f"{resource['resourceType']}/{rid}"] = resource
        for url, resource in parsed.full_urls.items():
            self.by_ref.setdefault(url, resource)
        seen: set[int] = set()
        about: dict[str, bool] = {}  # subject reference -> about this patient (most share one)
        position, intervals = self._position, self._intervals
        for resource in parsed.resources:
            key = id(resource)
            if key in seen:
                continue
            seen.add(key)
            if patient_id is not None and not self._about_cached(resource, patient_id, about):
                self.other_patient += 1
                continue
            interval = clinical_interval(resource)
            if not known_at(resource, as_of, interval):
                self.later += 1
                continue
            intervals[key] = interval
            rtype = resource["resourceType"]
            position[key] = len(position)
            self.by_type[rtype].append(resource)
            for system, code in concept_codes(resource.get("code")):
                self.by_code[(rtype, system, code)].append(resource)

    def _about_cached(self, resource: dict[str, Any], patient_id: str, cache: dict[str, bool]) -> bool:
        ref = resource.get("subject") or resource.get("patient")
        text = ref.get("reference") if isinstance(ref, dict) and resource["resourceType"] != "Patient" else None
        if not isinstance(text, str):
            return self._about(resource, patient_id)
        found = cache.get(text)
        if found is None:
            found = cache[text] = self._about(resource, patient_id)
        return found

    def _about(self, resource: dict[str, Any], patient_id: str) -> bool:
        """False only when the resource clearly concerns another patient (a safety net)."""
        if resource["resourceType"] == "Patient":
            return resource.get("id") == patient_id
        ref = resource.get("subject") or resource.get("patient")
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            return True
        target = self.resolve(ref)
        if target is not None:
            return target.get("resourceType") != "Patient" or target.get("id") == patient_id
        parts = ref["reference"].rstrip("/").split("/")
        return len(parts) < 2 or parts[-2] != "Patient" or parts[-1] == patient_id

    def of_type(self, rtype: str) -> list[dict[str, Any]]:
        return self.by_type.get(rtype, [])

    def interval(self, resource: dict[str, Any]) -> Interval:
        """`clinical_interval(resource)`, computed once when the index was built."""
        found = self._intervals.get(id(resource))
        return found if found is not None else clinical_interval(resource)

    def with_codes(self, rtype: str, codes: Iterable[Code]) -> list[dict[str, Any]]:
        """Resources of `rtype` whose code is one of `codes`, each once, in input order.

        Input order, not the order of `codes`: a value set is a frozenset, whose iteration order
        depends on string hashing, and evidence must list the same way in every process.
        """
        hits: dict[int, dict[str, Any]] = {}
        for system, code in codes:
            for resource in self.by_code.get((rtype, system, code), ()):
                hits[id(resource)] = resource
        if len(hits) < 2:
            return list(hits.values())
        position = self._position
        return sorted(hits.values(), key=lambda r: position[id(r)])

    def resolve(self, reference: Any) -> dict[str, Any] | None:
        """The resource a Reference (or reference string) points at, if it is in the input."""
        ref = reference.get("reference") if isinstance(reference, dict) else reference
        if not isinstance(ref, str):
            return None
        found = self.by_ref.get(ref)
        if found is None and "/" in ref:
            parts = ref.rstrip("/").split("/")
            if len(parts) >= 2:
                found = self.by_ref.get(f"{parts[-2]}/{parts[-1]}")
            if found is None and len(parts) >= 4 and parts[-2] == "_history":
                found = self.by_ref.get(f"{parts[-4]}/{parts[-3]}")
        return found

    def is_known(self, resource: dict[str, Any]) -> bool:
        return known_at(resource, self.as_of)
