"""The one walker for checklist A2/A3: no null and no empty string, list or object anywhere in a
response, except the arrays the spec allows to be empty (`cards`, `services`)."""

from __future__ import annotations

from typing import Any

ALLOWED_EMPTY = frozenset({"cards", "services"})


def empties(doc: Any, path: str = "$") -> list[str]:
    found: list[str] = []
    if doc is None or doc == "" or doc == [] or doc == {}:
        key = path.rsplit(".", 1)[-1]
        if not (doc == [] and key in ALLOWED_EMPTY):
            found.append(path)
        return found
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += empties(value, f"{path}.{key}")
    elif isinstance(doc, list):
        for n, value in enumerate(doc):
            found += empties(value, f"{path}[{n}]")
    return found


def assert_no_empties(doc: Any) -> None:
    bad = empties(doc)
    assert not bad, f"null or empty values at {bad}"


def test_walker_finds_what_it_must() -> None:
    """The walker itself can fail (A2): it reports nested nulls and empties, allows cards: []."""
    assert empties({"cards": []}) == []
    assert empties({"cards": [{"detail": ""}]}) == ["$.cards[0].detail"]
    assert empties({"a": {"b": None, "c": [{}], "d": []}}) == ["$.a.b", "$.a.c[0]", "$.a.d"]
