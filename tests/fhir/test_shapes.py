"""Validation once per shape: the same shape is validated once; an invalid varying value never hides."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from cds.fhir.shapes import ShapeValidator

VARYING = [("id", "id"), ("for.reference", "string"), ("executionPeriod.start", "instant")]


class Counting:
    """Task's model, counting the validations that reach it."""

    calls = 0

    @classmethod
    def model_validate(cls, resource: dict[str, Any]) -> Any:
        cls.calls += 1
        return Task.model_validate(resource)


def _task(rid: str, patient: str, start: str) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "id": rid,
        "status": "ready",
        "intent": "order",
        "for": {"reference": f"Patient/{patient}"},
        "executionPeriod": {"start": start},
    }


@pytest.fixture
def shapes() -> ShapeValidator:
    Counting.calls = 0
    return ShapeValidator(Counting, VARYING)


def test_one_validation_per_shape(shapes: ShapeValidator) -> None:
    shapes.validate(_task("a1", "p1", "2024-01-01T10:00:00Z"))
    shapes.validate(_task("b-2.x", "p2", "2025-06-30T23:59:59+02:00"))
    assert Counting.calls == 1
    other = {**_task("c3", "p3", "2024-01-01T10:00:00Z"), "priority": "urgent"}  # a fixed value differs
    shapes.validate(other)
    assert Counting.calls == 2


@pytest.mark.parametrize(
    "rid,start,model_accepts",
    [
        ("has space", "2024-01-01T10:00:00Z", False),  # not an id
        ("a2", "2024-13-01T10:00:00Z", False),  # no month 13
        ("x" * 65, "2024-01-01T10:00:00Z", True),  # FHIR: at most 64; the check is stricter than the model
        ("a2", "2024-01-01", True),  # a valid dateTime, not an instant: left to the model
    ],
)
def test_a_value_the_check_does_not_pass_reaches_the_model(
    shapes: ShapeValidator, rid: str, start: str, model_accepts: bool
) -> None:
    shapes.validate(_task("a1", "p1", "2024-01-01T10:00:00Z"))
    resource = _task(rid, "p2", start)
    if model_accepts:
        shapes.validate(resource)
    else:
        with pytest.raises(ValidationError):
            shapes.validate(resource)
    assert Counting.calls == 2


def test_an_empty_string_is_not_blanked(shapes: ShapeValidator) -> None:
    shapes.validate(_task("a1", "p1", "2024-01-01T10:00:00Z"))
    with pytest.raises(ValidationError):
        shapes.validate({**_task("a2", "p2", "2024-01-01T10:00:00Z"), "for": {"reference": ""}})
