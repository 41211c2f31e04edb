"""Turn request bytes into a flat list of FHIR resources, parsing the JSON exactly once.

Accepted input: a Bundle (collection, searchset, transaction, batch; nested searchsets are
flattened), a single resource, or a CDS Hooks prefetch object ({key: resource | Bundle | null}).
A structurally broken Bundle is fatal (NotFhirError); an entry without a usable resource is a
data-quality note, never a crash. Resources stay plain dicts: nothing is validated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cds.errors import NotFhirError, NotJsonError

BUNDLE_TYPES = frozenset({"collection", "searchset", "transaction", "batch"})


@dataclass
class ParsedInput:
    resources: list[dict[str, Any]] = field(default_factory=list)
    # fullUrl (urn:uuid:..., absolute URL) -> resource, to resolve references such as urn:uuid
    full_urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # prefetch keys whose value was an OperationOutcome or absent-as-error: treated as missing
    missing_keys: list[str] = field(default_factory=list)


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise NotJsonError(f"input is not valid JSON ({exc.msg} at position {exc.pos})") from None


def parse_input(data: bytes | str | dict[str, Any]) -> ParsedInput:
    """Parse once and flatten; see the module docstring for what is accepted."""
    doc = data if isinstance(data, dict) else loads(data)
    if not isinstance(doc, dict):
        raise NotFhirError("input is not a FHIR resource, Bundle or prefetch object")
    out = ParsedInput()
    if "resourceType" in doc:
        _add(doc, out, where="input")
    else:
        _add_prefetch(doc, out)
    return out


def _add_prefetch(doc: dict[str, Any], out: ParsedInput) -> None:
    for key, value in doc.items():
        if value is None:
            continue  # known absent
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            raise NotFhirError(f"prefetch key {key!r} is neither a FHIR resource nor null")
        if value["resourceType"] == "OperationOutcome":
            out.missing_keys.append(key)
            continue
        _add(value, out, where=f"prefetch {key!r}")


def _add(resource: dict[str, Any], out: ParsedInput, where: str) -> None:
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        raise NotFhirError(f"{where}: no resourceType")
    if rtype != "Bundle":
        out.resources.append(resource)
        return
    btype = resource.get("type")
    if btype not in BUNDLE_TYPES:
        raise NotFhirError(f"{where}: Bundle.type must be one of {sorted(BUNDLE_TYPES)}")
    entries = resource.get("entry", [])
    if not isinstance(entries, list):
        raise NotFhirError(f"{where}: Bundle.entry is not a list")
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise NotFhirError(f"{where}: Bundle.entry[{n}] is not an object")
        res = entry.get("resource")
        if res is None:
            out.notes.append(f"{where}: Bundle.entry[{n}] has no resource; skipped")
            continue
        if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            out.notes.append(f"{where}: Bundle.entry[{n}].resource is not a FHIR resource; skipped")
            continue
        if res["resourceType"] == "OperationOutcome":
            continue  # searchset warnings, not data
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str) and res["resourceType"] != "Bundle":
            out.full_urls[full_url] = res
        _add(res, out, where=f"{where}: Bundle.entry[{n}]")
