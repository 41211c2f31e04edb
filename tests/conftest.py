"""Shared fixtures: the knowledge shipped in rules/ (loaded once) and the fixture folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds.knowledge import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SYNTHEA = sorted((FIXTURES / "synthea").glob("*-bundle.json"))


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge()
