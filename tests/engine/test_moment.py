from __future__ import annotations

from datetime import UTC, datetime

from cds.engine.moment import discharge_moment, find_encounter

NOW = datetime(2024, 3, 12, 12, tzinfo=UTC)


def _enc(period: dict[str, str]) -> dict[str, object]:
    return {"resourceType": "Encounter", "id": "e1", "period": period}


def test_ended_encounter_gives_its_end() -> None:
    assert discharge_moment(_enc({"start": "2024-03-10", "end": "2024-03-11T09:00:00Z"}), NOW) == datetime(
        2024, 3, 11, 9, tzinfo=UTC
    )


def test_open_or_future_or_missing_encounter_gives_now() -> None:
    assert discharge_moment(_enc({"start": "2024-03-10"}), NOW) == NOW
    assert discharge_moment(_enc({"start": "2024-03-10", "end": "2024-03-13"}), NOW) == NOW
    assert discharge_moment(None, NOW) == NOW


def test_find_encounter_by_id() -> None:
    enc = _enc({})
    assert find_encounter([{"resourceType": "Patient", "id": "e1"}, enc], "e1") is enc
    assert find_encounter([enc], "other") is None
