"""FHIR date, dateTime and instant values as aware datetimes, and ISO 8601 durations.

Partial dates take their earliest moment ("2015-03" is 2015-03-01T00:00Z); a dateTime without a
zone is read as UTC. The clinical and recorded moments of each resource type live here so that
"as of" filtering and time windows agree on which element means what.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


@lru_cache(maxsize=65536)
def parse_datetime(value: str) -> datetime | None:
    """Parse a FHIR date/dateTime/instant; None when it is not one."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    try:
        if len(value) == 4:
            return datetime(int(value), 1, 1, tzinfo=UTC)
        if len(value) == 7:
            return datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=UTC)
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_moment(value: str) -> datetime:
    """Parse a user-given moment (CLI --as-of); raises ValueError with a readable message."""
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not an ISO 8601 date or date-time: {value!r}")
    return parsed


def parse_duration(value: str) -> relativedelta:
    """An ISO 8601 duration such as P12M, P14W, -P40W or PT24H as a calendar-aware delta."""
    if not isinstance(value, str):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    return _parse_duration(value)


@lru_cache(maxsize=1024)
def _parse_duration(value: str) -> relativedelta:
    # Cached: the engine asks for the same few durations (rule windows) for every resource.
    # Callers never mutate the delta (`-delta` and `moment + delta` make new objects).
    match = _DURATION.match(value)
    if not match or value.rstrip("-").endswith(("P", "T")):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    g = {k: int(v) if v and k != "sign" else 0 for k, v in match.groupdict().items()}
    delta = relativedelta(
        years=g["y"],
        months=g["mo"],
        weeks=g["w"],
        days=g["d"],
        hours=g["h"],
        minutes=g["mi"],
        seconds=g["s"],
    )
    return -delta if match.group("sign") else delta


def _period(value: Any) -> tuple[datetime | None, datetime | None]:
    if not isinstance(value, dict):
        return None, None
    start = parse_datetime(value.get("start", ""))
    end = parse_datetime(value.get("end", ""))
    return start or end, end or start


def clinical_interval(resource: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """When the thing happened or began and ended (onset/abatement, performed, effective)."""
    rtype = resource.get("resourceType")
    if rtype == "Condition":
        start = parse_datetime(resource.get("onsetDateTime", ""))
        if start is None:
            start = _period(resource.get("onsetPeriod"))[0]
        if start is None:
            start = parse_datetime(resource.get("recordedDate", ""))
        end = parse_datetime(resource.get("abatementDateTime", ""))
        if end is None and "abatementPeriod" in resource:
            end = _period(resource.get("abatementPeriod"))[1]
        return start, end
    if rtype == "Procedure":
        at = parse_datetime(resource.get("performedDateTime", ""))
        return (at, at) if at else _period(resource.get("performedPeriod"))
    if rtype == "Observation":
        at = parse_datetime(resource.get("effectiveDateTime", "")) or parse_datetime(
            resource.get("effectiveInstant", "")
        )
        if at is None and "effectivePeriod" in resource:
            return _period(resource["effectivePeriod"])
        at = at or parse_datetime(resource.get("issued", ""))
        return at, at
    if rtype == "Encounter":
        return _period(resource.get("period"))
    if rtype == "QuestionnaireResponse":
        at = parse_datetime(resource.get("authored", ""))
        return at, at
    if rtype == "FamilyMemberHistory":
        at = parse_datetime(resource.get("date", ""))
        return at, at
    return None, None


Interval = tuple[datetime | None, datetime | None]


def recorded_at(resource: dict[str, Any], interval: Interval | None = None) -> datetime | None:
    """The moment the record became known: recordedDate, issued, authored or date, else its start."""
    for key in ("recordedDate", "issued", "authored", "date"):
        value = resource.get(key)
        if isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is not None:
                return parsed
    return (interval or clinical_interval(resource))[0]


def known_at(resource: dict[str, Any], moment: datetime, interval: Interval | None = None) -> bool:
    """True unless the resource was recorded, or began, after `moment`.

    Undated resources (a family history without a date) are kept: nothing says they are later.
    `interval`: the resource's clinical_interval when the caller already has it.
    """
    interval = interval or clinical_interval(resource)
    start = interval[0]
    if start is not None and start > moment:
        return False
    recorded = recorded_at(resource, interval)
    return recorded is None or recorded <= moment


def shift(moment: datetime, delta: relativedelta | timedelta) -> datetime:
    result: datetime = moment + delta
    return result
