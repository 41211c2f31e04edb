"""The evaluation moment of a discharge: the end of the encounter being discharged.

Shared by the CLI (`--encounter`) and the encounter-discharge hook so both replay a history the
same way. An encounter without an end (still open) or ending in the future is evaluated now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cds.fhir.dates import clinical_interval


def find_encounter(resources: Iterable[dict[str, Any]], encounter_id: str) -> dict[str, Any] | None:
    for resource in resources:
        if resource.get("resourceType") == "Encounter" and resource.get("id") == encounter_id:
            return resource
    return None


def discharge_moment(encounter: dict[str, Any] | None, now: datetime) -> datetime:
    """The encounter's end when it has ended by `now`, else `now`."""
    if encounter is None:
        return now
    end = clinical_interval(encounter)[1]
    period = encounter.get("period")
    has_end = isinstance(period, dict) and isinstance(period.get("end"), str)
    return end if has_end and end is not None and end <= now else now
