"""Parsing: one orjson pass, Bundles of every accepted type, prefetch objects, broken input."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from cds.errors import NotFhirError, NotJsonError
from cds.fhir import ResourceIndex, parse_input
from cds.fhir.dates import known_at, parse_datetime, parse_duration

PAT = {"resourceType": "Patient", "id": "p1"}
ENC = {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "IMP"}}


def _bundle(kind: str, entries: list) -> bytes:
    return orjson.dumps({"resourceType": "Bundle", "type": kind, "entry": entries})


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction", "batch"])
def test_bundle_types(kind: str) -> None:
    parsed = parse_input(_bundle(kind, [{"fullUrl": "urn:uuid:1", "resource": PAT}]))
    assert parsed.resources == [PAT]


def test_other_bundle_type_is_not_accepted() -> None:
    with pytest.raises(NotFhirError, match=r"Bundle\.type"):
        parse_input(_bundle("document", []))


@pytest.mark.parametrize(
    "data,error",
    [
        (b"{not json", NotJsonError),
        (b"[1, 2]", NotFhirError),
        (b'"text"', NotFhirError),
        (b'{"resourceType": 5}', NotFhirError),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": {}}', NotFhirError),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": [5]}', NotFhirError),
        (b'{"patient": 5}', NotFhirError),
    ],
)
def test_broken_input(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_input(data)


def test_entry_without_resource_is_a_note_not_fatal() -> None:
    parsed = parse_input(_bundle("collection", [{"resource": PAT}, {"fullUrl": "x"}, {"resource": {"id": 1}}]))
    assert parsed.resources == [PAT] and len(parsed.notes) == 2


def test_prefetch_object_with_null_outcome_and_nested_searchset() -> None:
    search = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": ENC}]}
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing"}]}
    parsed = parse_input({"patient": PAT, "encounters": search, "family": None, "conditions": outcome})
    assert parsed.resources == [PAT, ENC]
    assert parsed.missing_keys == ["conditions"]


def test_urn_uuid_references_resolve() -> None:
    cond = {"resourceType": "Condition", "id": "c1", "encounter": {"reference": "urn:uuid:enc-1"}}
    parsed = parse_input(
        _bundle(
            "transaction",
            [{"fullUrl": "urn:uuid:enc-1", "resource": ENC}, {"fullUrl": "urn:uuid:c1", "resource": cond}],
        )
    )
    index = ResourceIndex(parsed, datetime(2030, 1, 1, tzinfo=UTC))
    enc, parsed_cond = parsed.resources
    assert index.resolve(parsed_cond["encounter"]) is enc
    assert index.resolve("Encounter/e1") is enc
    assert index.resolve("https://ehr.example/fhir/Encounter/e1/_history/2") is enc
    assert index.resolve({"display": "no reference"}) is None


def test_dates_and_durations() -> None:
    assert parse_datetime("2015") == datetime(2015, 1, 1, tzinfo=UTC)
    assert parse_datetime("2015-03") == datetime(2015, 3, 1, tzinfo=UTC)
    assert parse_datetime("2015-03-02T10:00:00") == datetime(2015, 3, 2, 10, tzinfo=UTC)
    assert parse_datetime("garbage") is None
    start = datetime(2024, 1, 31, tzinfo=UTC)
    assert start + parse_duration("P1M") == datetime(2024, 2, 29, tzinfo=UTC)
    assert start + parse_duration("-P40W") == datetime(2023, 4, 26, tzinfo=UTC)
    assert start + parse_duration("PT24H") == datetime(2024, 2, 1, tzinfo=UTC)
    for bad in ("P", "PT", "12W", "P1.5D", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_known_at_uses_the_later_of_onset_and_recording() -> None:
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    onset_before_recorded_after = {
        "resourceType": "Condition",
        "onsetDateTime": "2015-01-01",
        "recordedDate": "2021-01-01",
    }
    assert not known_at(onset_before_recorded_after, moment)
    assert known_at({"resourceType": "Condition", "onsetDateTime": "2015-01-01"}, moment)
    assert known_at({"resourceType": "FamilyMemberHistory"}, moment)
    assert not known_at({"resourceType": "Observation", "effectiveDateTime": "2020-01-02"}, moment)


def test_resources_about_another_patient_are_left_out() -> None:
    mine = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}}
    theirs = {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p2"}}
    via_urn = {"resourceType": "Condition", "id": "c3", "subject": {"reference": "urn:uuid:pp2"}}
    other = {"resourceType": "Patient", "id": "p2"}
    parsed = parse_input(_bundle("collection", [
        {"resource": PAT}, {"resource": mine}, {"resource": theirs},
        {"fullUrl": "urn:uuid:pp2", "resource": other}, {"resource": via_urn}]))
    index = ResourceIndex(parsed, datetime(2030, 1, 1, tzinfo=UTC), patient_id="p1")
    assert [r["id"] for r in index.of_type("Condition")] == ["c1"]
    assert [r["id"] for r in index.of_type("Patient")] == ["p1"]
    assert index.other_patient == 3


def test_with_codes_lists_in_input_order_whatever_the_order_of_the_codes() -> None:
    def obs(rid: str, code: str) -> dict:
        return {
            "resourceType": "Observation",
            "id": rid,
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        }

    resources = [obs("a", "2"), obs("b", "1"), obs("c", "2"), obs("d", "3")]
    parsed = parse_input(_bundle("collection", [{"resource": r} for r in resources]))
    index = ResourceIndex(parsed, datetime(2030, 1, 1, tzinfo=UTC))
    one, two = ("http://loinc.org", "1"), ("http://loinc.org", "2")
    for codes in ([one, two], [two, one]):
        assert [r["id"] for r in index.with_codes("Observation", codes)] == ["a", "b", "c"]
