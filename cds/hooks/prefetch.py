"""Turn a hook request's prefetch into the FHIR data the rules need, fetching what is missing.

Each declared key is one of: a resource or Bundle (used; a Bundle's `next` pages are followed),
`null` (known absent), an OperationOutcome or absent (not satisfied: fetched from fhirServer).
Keys the EHR sent but we did not declare are ignored, so full, partial and no prefetch see the
same data. If a key can be neither used nor fetched, the call fails with 412.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from cds.errors import NotFhirError, PrefetchError
from cds.fhir import parse_input
from cds.hooks.fhir_client import ABSENT, FhirClient, FhirUnavailable

_TOKEN = re.compile(r"\{\{\s*context\.(\w+)\s*\}\}")


def render(template: str, context: dict[str, str]) -> str | None:
    """The template with context tokens filled; None when a token has no value (skip the key)."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = context.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return value

    rendered = _TOKEN.sub(fill, template)
    return None if missing else rendered


def gather(
    templates: dict[str, str],
    given: dict[str, Any],
    context: dict[str, str],
    client: Callable[[], FhirClient | None],
    on_failure: Callable[[str], None] = lambda reason: None,
) -> dict[str, Any]:
    """key -> resource | Bundle | None for every declared key whose tokens can be filled."""
    values: dict[str, Any] = {}
    to_query: dict[str, str] = {}
    to_complete: dict[str, dict[str, Any]] = {}
    for key, template in templates.items():
        query = render(template, context)
        if query is None:
            continue
        value = given.get(key, ABSENT)
        if value is None:
            values[key] = None
        elif value is ABSENT or _is_outcome(value):
            to_query[key] = query
        elif not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            raise NotFhirError(f"prefetch {key!r} is neither a FHIR resource nor null")
        elif value["resourceType"] == "Bundle" and _has_next(value):
            to_complete[key] = value
        else:
            values[key] = value
    if not to_query and not to_complete:
        return values
    fhir = client()
    if fhir is None:
        raise PrefetchError(
            "prefetch incomplete and no fhirServer to fetch from: "
            + ", ".join(sorted([*to_query, *to_complete]))
        )
    jobs: dict[str, Callable[[], Any]] = {k: partial(fhir.query, q) for k, q in to_query.items()}
    jobs.update({k: partial(fhir.complete, b) for k, b in to_complete.items()})
    try:
        fetched = fhir.fetch_many(jobs)
    except FhirUnavailable as exc:
        on_failure(exc.reason)
        raise PrefetchError(f"FHIR server could not provide the data ({exc.reason})") from None
    for key, value in fetched.items():
        values[key] = None if value is ABSENT else value
    return values


def resources(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten (parsed once already, never validated) and drop duplicates across keys."""
    parsed = parse_input(values)
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for resource in parsed.resources:
        rid = resource.get("id")
        if isinstance(rid, str):
            ident = (resource["resourceType"], rid)
            if ident in seen:
                continue
            seen.add(ident)
        out.append(resource)
    return out


def _is_outcome(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _has_next(bundle: dict[str, Any]) -> bool:
    links = bundle.get("link")
    return isinstance(links, list) and any(
        isinstance(link, dict) and link.get("relation") == "next" for link in links
    )
